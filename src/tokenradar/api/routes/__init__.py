"""The API's routers, one module per resource; each route is thin over the Backend."""
