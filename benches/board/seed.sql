-- Job-board benchmark data for PostgreSQL: 100,000 active shoppers and 10,000 open jobs at
-- 5,000 stores of 20 clients, around 20 US metro areas (deterministic: setseed); other sizes
-- with `psql -v shoppers=1000000 -v stores=50000` (two jobs a store).
-- Every shopper's password is the bench admin's (copied from its row), so that the load
-- script can sign some of them in. Run on an empty, migrated database.
\if :{?shoppers}
\else
\set shoppers 100000
\endif
\if :{?stores}
\else
\set stores 5000
\endif
SELECT setseed(0.42);

CREATE TEMP TABLE metros (n INT, name TEXT, st TEXT, zip TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION);
INSERT INTO metros VALUES
 (0,'New York','NY','10001',40.7506,-73.9972),(1,'Los Angeles','CA','90012',34.0614,-118.2385),
 (2,'Chicago','IL','60601',41.8858,-87.6181),(3,'Houston','TX','77002',29.7569,-95.3625),
 (4,'Phoenix','AZ','85004',33.4515,-112.0686),(5,'Philadelphia','PA','19103',39.9529,-75.1741),
 (6,'San Antonio','TX','78205',29.4237,-98.4925),(7,'San Diego','CA','92101',32.7190,-117.1628),
 (8,'Dallas','TX','75201',32.7876,-96.7994),(9,'Austin','TX','78701',30.2713,-97.7426),
 (10,'Seattle','WA','98101',47.6113,-122.3336),(11,'Denver','CO','80202',39.7527,-104.9992),
 (12,'Boston','MA','02108',42.3576,-71.0643),(13,'Atlanta','GA','30303',33.7527,-84.3896),
 (14,'Miami','FL','33130',25.7685,-80.2034),(15,'Minneapolis','MN','55401',44.9836,-93.2697),
 (16,'Portland','OR','97204',45.5184,-122.6772),(17,'Detroit','MI','48226',42.3318,-83.0479),
 (18,'Las Vegas','NV','89101',36.1731,-115.1240),(19,'Nashville','TN','37203',36.1513,-86.7895);

-- Clients, each with one named competitor.
INSERT INTO organizations (name, name_key, created_at)
SELECT 'Client ' || i, 'client ' || i, now() FROM generate_series(1, 20) i;
INSERT INTO organizations (name, name_key, created_at)
SELECT 'Rival ' || i, 'rival ' || i, now() FROM generate_series(1, 20) i;
INSERT INTO clients (organization_id, created_at)
SELECT id, now() FROM organizations WHERE name_key LIKE 'client %' ORDER BY id;
INSERT INTO client_competitors (client_id, organization_id, created_at)
SELECT c.id, r.id, now()
FROM clients c JOIN organizations o ON o.id = c.organization_id
JOIN organizations r ON r.name_key = 'rival ' || substr(o.name_key, 8);

INSERT INTO projects (client_id, name, max_km, vehicle, languages, certifications, min_completed,
                      rotation_days, fee_cents, reimbursement_cap_cents, show_client_name,
                      created_at, offer_hours)
SELECT id, 'Programme', 40, false, '[]', '[]', 0, 90, 1500, 2000, (id % 2 = 0), now(), 48
FROM clients;

-- 5,000 stores, 250 a metro, within about 25 km of its centre.
INSERT INTO locations (client_id, code, name, street, city, state, zip, latitude, longitude,
                       created_at, updated_at)
SELECT (SELECT id FROM clients ORDER BY id OFFSET (i % 20) LIMIT 1),
       'S' || i, 'Store ' || i, i || ' Main St', m.name, m.st, m.zip,
       m.lat + (random() - 0.5) * 0.45, m.lon + (random() - 0.5) * 0.55, now(), now()
FROM generate_series(0, :stores - 1) i JOIN metros m ON m.n = i % 20;

-- 10,000 open jobs, two a store, windows over the next weeks.
INSERT INTO jobs (project_id, location_id, code, window_start, window_end, fee_cents, bonus_cents,
                  reimbursement_cap_cents, status, created_at, updated_at)
SELECT p.id, l.id, 'J' || l.id || '-' || k,
       current_date + (k * 7 + (l.id % 5))::int, current_date + (k * 7 + 14 + (l.id % 5))::int,
       1500, 0, 2000, 'open', now(), now()
FROM locations l JOIN projects p ON p.client_id = l.client_id CROSS JOIN generate_series(0, 1) k;

-- 100,000 active shoppers, 5,000 a metro, within about 30 km of its centre.
INSERT INTO users (email, password_hash, role, email_verified_at, password_changed_at, created_at)
SELECT 'shopper' || i || '@bench.test',
       (SELECT password_hash FROM users WHERE email = 'bench-admin@bench.test'),
       'shopper', now(), now(), now()
FROM generate_series(1, :shoppers) i;

INSERT INTO shoppers (user_id, code, status, legal_name, street, city, state, zip, latitude,
                      longitude, travel_radius_km, languages, vehicle, agreement_version,
                      privacy_notice_version, agreed_at, status_changed_at, created_at, updated_at)
SELECT u.id, 'IMS-B' || lpad(u.id::text, 7, '0'), 'active', 'Shopper ' || u.id, u.id || ' Elm St',
       m.name, m.st, m.zip,
       m.lat + (random() - 0.5) * 0.55, m.lon + (random() - 0.5) * 0.65,
       20 + (u.id % 3) * 10, '["en"]', (u.id % 2 = 0), '2026-11', '2026-11', now(), now(), now(), now()
FROM users u JOIN metros m ON m.n = u.id % 20
WHERE u.role = 'shopper';

-- One in ten shoppers has a household tie to a competitor (conflicts to evaluate).
INSERT INTO affiliations (shopper_id, organization_id, relation)
SELECT s.user_id, (SELECT id FROM organizations WHERE name_key = 'rival ' || (1 + s.user_id % 20)),
       'household'
FROM shoppers s WHERE s.user_id % 10 = 0;

ANALYZE;
