-- The demo catalog, one migration so a fresh database has something to sell.
-- (Both backends read this same list; the test suite relies on its ids, names and stock.)
INSERT INTO products (id, sku, name, description, price_cents, stock) VALUES
    (1,  'MUG-CER-12',  'Ceramic coffee mug',        'A 350 ml stoneware mug, glazed, dishwasher safe.',                  1200, 40),
    (2,  'MUG-TRV-16',  'Insulated travel mug',      'Double-walled steel keeps coffee hot for six hours; leak-proof lid.', 2400, 25),
    (3,  'GRD-BUR-01',  'Burr coffee grinder',       'Conical steel burrs, 40 grind settings from espresso to cold brew.',  8900, 8),
    (4,  'KTL-GOO-10',  'Gooseneck kettle',          'A 1 litre pour-over kettle with a thermometer in the lid.',          4500, 12),
    (5,  'DRP-V60-02',  'Pour-over dripper',         'Ceramic cone dripper for filter coffee, size 02.',                   2200, 30),
    (6,  'FLT-PAP-100', 'Paper filters (100)',       'Unbleached paper filters for size 02 drippers.',                      600, 200),
    (7,  'PRS-FRN-08',  'French press',              'Eight-cup glass press with a steel mesh filter.',                   3200, 15),
    (8,  'ESP-MOK-06',  'Stovetop espresso maker',   'Aluminium moka pot, six cups, for gas and electric stoves.',         2900, 18),
    (9,  'SCL-DIG-01',  'Digital coffee scale',      'Weighs to 0.1 g with a built-in brew timer.',                        3500, 10),
    (10, 'BNS-ETH-250', 'Ethiopian coffee beans',    'Light roast whole beans, 250 g: jasmine, bergamot, peach.',          1400, 60),
    (11, 'BNS-COL-250', 'Colombian coffee beans',    'Medium roast whole beans, 250 g: caramel, red apple, cocoa.',        1300, 60),
    (12, 'TEA-GRN-100', 'Sencha green tea',          'Loose-leaf Japanese green tea, 100 g.',                               900, 35),
    (13, 'TEA-POT-07',  'Glass teapot',              'A 700 ml borosilicate teapot with a removable infuser.',             2800, 9),
    (14, 'CUP-ESP-02',  'Espresso cups (pair)',      'Two porcelain espresso cups with saucers.',                          1800, 20),
    (15, 'MLK-FRT-01',  'Milk frother',              'Handheld whisk that froths milk for lattes in seconds.',             1500, 22),
    (16, 'CAN-VAC-01',  'Vacuum coffee canister',    'Keeps beans fresh: a one-way valve and an airtight lid.',            2100, 14);

-- The ids above were given explicitly: move the sequence past them.
SELECT setval('products_id_seq', (SELECT max(id) FROM products));
