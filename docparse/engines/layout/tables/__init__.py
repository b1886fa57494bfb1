"""Tables: cells and HTML (``grid``), one box cut into several tables (``split``), and ruled tables
on scans, read from pixels: rules (``pixel_rules``), grid (``pixel_grid``), the scanned-page entry (``scanned``)."""
