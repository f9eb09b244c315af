"""Geography: district boundaries, UBIGEO keys, the sector layers and the district table.

Everything that turns public files (INEI boundaries, GeoBosques, MapBiomas, DEVIDA, ...) into one
row per district: reading (:mod:`.io`, :mod:`.rasters`, :mod:`.chunks`), matching names and codes
(:mod:`.ubigeo`, :mod:`.names`), the layers (:mod:`.layers`, a package, and :mod:`.services`),
points in districts (:mod:`.points`) and the checks the readers share (:mod:`.checks`), the base
and the build (:mod:`.base`, :mod:`.build`, :mod:`.sources`), and how they are drawn
(:mod:`.display`, :mod:`.styles`).
"""
