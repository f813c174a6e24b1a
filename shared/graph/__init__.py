"""The Microsoft Graph boundary: the only package that imports msgraph-sdk, msgraph-core and kiota.

- ``client``: who signs the requests and where they go; ``middleware``: retries and counting;
- ``session``: sending, paging, and translating failures into ``shared.core.errors``;
- one module per resource family (``devices``, ``groups``, ``principals``), assembled into
  ``gateway.GraphGateway``.
"""
