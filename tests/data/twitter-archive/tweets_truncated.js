window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "created_at" : "Mon Mar 11 14:42:19 +0000 2024",
      "full_text" : "cut off