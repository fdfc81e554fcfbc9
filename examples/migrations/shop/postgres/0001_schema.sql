-- The shop's tables (Postgres). Money is integer cents; stock never goes below zero.
CREATE TABLE products (
    id          BIGSERIAL PRIMARY KEY,
    sku         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    stock       BIGINT NOT NULL CHECK (stock >= 0),
    -- Full-text search: the name weighs more than the description.
    search      TSVECTOR GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', name), 'A')
                    || setweight(to_tsvector('english', description), 'B')
                ) STORED
);

CREATE INDEX products_search ON products USING GIN (search);

-- A user's cart: one line per product.
CREATE TABLE cart_items (
    user_id    BIGINT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (user_id, product_id)
);

CREATE TABLE orders (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    total_cents BIGINT NOT NULL CHECK (total_cents >= 0),
    payment_ref TEXT,
    created_at  TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
);

CREATE INDEX orders_by_user ON orders (user_id, id);

-- What was bought, at the price it was bought at.
CREATE TABLE order_lines (
    order_id         BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       BIGINT NOT NULL REFERENCES products (id),
    name             TEXT NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, product_id)
);
