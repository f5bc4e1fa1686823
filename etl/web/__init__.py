"""The local web page of `etl serve`: a thin face of `etl.Database` for one-off loads.

`app.create_app(WebConfig)` builds the ASGI application; `server.serve` runs it with uvicorn.
Routes are in `pages` (uploads, checks, imports, history) and `downloads` (exports, reports,
templates); `security` guards every request; `uploads` streams files in; `jobs` runs long
work in threads; `work` is what the page asks of the Database.
"""
