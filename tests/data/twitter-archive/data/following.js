window.YTD.following.part0 = [
  {
    "following" : {
      "accountId" : "1480000000000000001",
      "userLink" : "https://twitter.com/intent/user?user_id=1480000000000000001"
    }
  }
]
