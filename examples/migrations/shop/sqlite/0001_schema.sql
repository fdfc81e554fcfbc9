-- The shop's tables (SQLite). Money is integer cents; stock never goes below zero.
CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0)
);

-- Full-text search over name and description (FTS5, compiled into sqlx's bundled
-- SQLite), an external-content index kept in step with `products` by triggers.
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, description,
    content = 'products', content_rowid = 'id',
    tokenize = 'porter unicode61'
);

CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
END;

-- Only a change of the indexed text touches the index (a stock update does not).
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description)
        VALUES ('delete', old.id, old.name, old.description);
    INSERT INTO products_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;

-- A user's cart: one line per product.
CREATE TABLE cart_items (
    user_id    INTEGER NOT NULL,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
    payment_ref TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX orders_by_user ON orders (user_id, id);

-- What was bought, at the price it was bought at.
CREATE TABLE order_lines (
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       INTEGER NOT NULL REFERENCES products (id),
    name             TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);
