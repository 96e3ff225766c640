-- The people within a distance of a water network and/or its supply points per commune of a
-- vintage, computed once for the whole country (the layers and the partition never change) and
-- summed for every later question of any scope. ``sources`` names the layers (lines, points,
-- population raster) the answer was computed from.
CREATE TABLE water_reach_runs (
  sources text NOT NULL,
  vintage_id integer NOT NULL REFERENCES vintages (vintage_id),
  distance_m double precision NOT NULL,
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (sources, vintage_id, distance_m)
);
COMMENT ON TABLE water_reach_runs IS 'Water layers and distances whose people within reach per commune are stored in water_reach';

CREATE TABLE water_reach (
  sources text NOT NULL,
  vintage_id integer NOT NULL,
  distance_m double precision NOT NULL,
  unit_id integer NOT NULL REFERENCES units (unit_id),
  population double precision NOT NULL,
  population_within double precision NOT NULL,
  PRIMARY KEY (sources, vintage_id, distance_m, unit_id),
  FOREIGN KEY (sources, vintage_id, distance_m) REFERENCES water_reach_runs (sources, vintage_id, distance_m)
);
COMMENT ON TABLE water_reach IS 'People per commune (partition cell) of a vintage, and those within a distance of water sources';
