-- The communes of the 2009 boundaries with their NTM statuses of one year, for tipg to serve from
-- the same PostGIS database as geo_ntm's store (bench/bench_http.py fills in {relation}: TABLE or
-- VIEW, and {year}). The attributes are those of geo_ntm's /collections/communes/items that follow
-- from the stored rows without geo_ntm's rules (carrying, recognitions, groups are left out):
-- the criteria counted met and the unmet ones of the year, per commune.
CREATE SCHEMA tipg_bench;

CREATE {relation} tipg_bench.communes AS
SELECT
  u.code,
  u.name,
  u.unit_type,
  p.name AS province,
  d.name AS district,
  u.province_code,
  u.population,
  u.area_ha,
  u.flag,
  {year} AS year,
  s.framework,
  s.level,
  s.criteria_met,
  s.criteria_total,
  coalesce(s.criteria_unmet, '{{}}') AS criteria_unmet,
  u.geom
FROM units u
JOIN vintages v ON v.vintage_id = u.vintage_id AND v.valid_from = DATE '2009-04-01'
LEFT JOIN units p ON p.vintage_id = u.vintage_id AND p.level = 'province' AND p.code = u.province_code
LEFT JOIN units d ON d.vintage_id = u.vintage_id AND d.level = 'district' AND d.code = u.district_code
LEFT JOIN (
  SELECT
    unit_id,
    min(framework_id) AS framework,
    min(level) AS level,
    (count(*) FILTER (WHERE met))::integer AS criteria_met,
    count(DISTINCT criterion)::integer AS criteria_total,
    array_agg(criterion ORDER BY criterion) FILTER (WHERE NOT met) AS criteria_unmet
  FROM criterion_statuses
  WHERE year = {year}
  GROUP BY unit_id
) s ON s.unit_id = u.unit_id
WHERE u.level = 'commune';
