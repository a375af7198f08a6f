window.YTD.follower.part0 = [
  {
    "follower" : {
      "accountId" : "1480000000000000001",
      "userLink" : "https://twitter.com/intent/user?user_id=1480000000000000001"
    }
  },
  {
    "follower" : {
      "accountId" : "1480000000000000002",
      "userLink" : "https://twitter.com/intent/user?user_id=1480000000000000002"
    }
  },
  {
    "follower" : {
      "userLink" : "https://twitter.com/intent/user?user_id="
    }
  }
]
