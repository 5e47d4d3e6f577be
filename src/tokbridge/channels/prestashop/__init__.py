"""PrestaShop as a TokBridge source store (the Webservice of PrestaShop 1.7, 8 and 9): `plugin.PLUGIN` is
what `channels.registry` finds.

    settings     PRESTASHOP_* environment variables (http:// allowed, page size, poll overlap, carrier)
    client       one Webservice request: the key as Basic user, JSON out, XML in, errors as kit kinds
    xml          every write built with ElementTree; XML answers parsed with defusedxml
    permissions  what TokBridge needs of the key, read from `GET /api/`, in words
    connect      the `StoreConnector`: a form (address, key, shop, language), the permission check first
    shop         the shop's languages, shops, currency, version, time zone and order states
    mapping      products, combinations, prices and stock to neutral records
    times        the shop's local clock (date_upd) and daylight saving
    poll_state   the stock and combination digests the change poll keeps in the connection's data
    store        the `SourceStore`: catalog by pages, changes by polling, stock by read then write
    orders       customer, address, cart, cart prices and order; states, tracking, cancellations
"""
