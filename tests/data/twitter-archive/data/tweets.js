window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [ "1767209943418556738" ],
          "editableUntil" : "2024-03-11T15:42:19.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>",
      "entities" : {
        "hashtags" : [ { "text" : "GigWork", "indices" : [ "41", "49" ] } ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [ "0", "61" ],
      "favorite_count" : "2",
      "id_str" : "1767209943418556738",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1767209943418556738",
      "created_at" : "Mon Mar 11 14:42:19 +0000 2024",
      "favorited" : false,
      "full_text" : "14 hours on the road today and still short #GigWork &amp; rent",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>",
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ { "name" : "Some Union", "screen_name" : "someunion", "indices" : [ "3", "13" ], "id_str" : "1", "id" : "1" } ], "urls" : [ ] },
      "display_text_range" : [ "0", "80" ],
      "favorite_count" : "0",
      "id_str" : "1767550001122334455",
      "retweet_count" : "0",
      "id" : "1767550001122334455",
      "created_at" : "Tue Mar 12 03:10:00 +0000 2024",
      "favorited" : false,
      "full_text" : "RT @someunion: Drivers rally at city hall Friday #DriversUnion #strike",
      "lang" : "en"
    }
  },
  {
    "tweet" : {
      "entities" : { "hashtags" : [ ], "symbols" : [ ], "user_mentions" : [ ], "urls" : [ ] },
      "favorite_count" : "1",
      "in_reply_to_status_id_str" : "1767000000000000000",
      "in_reply_to_screen_name" : "friend",
      "id_str" : "1767600000000000001",
      "created_at" : "Tue Mar 12 04:01:33 +0000 2024",
      "full_text" : "@friend can't sleep either, payday loan due Friday",
      "lang" : "en",
      "coordinates" : { "type" : "Point", "coordinates" : [ "-73.9442", "40.6782" ] },
      "geo" : { "type" : "Point", "coordinates" : [ "40.6782", "-73.9442" ] }
    }
  },
  {
    "tweet" : {
      "id_str" : "1767600000000000002",
      "created_at" : "Someday",
      "full_text" : "broken date"
    }
  },
  {
    "tweet" : {
      "id_str" : "1767600000000000003",
      "full_text" : "no date at all"
    }
  },
  { "like" : { "tweetId" : "1" } }
]
