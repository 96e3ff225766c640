-- The km of each road layer per commune of a vintage, by class and surface, computed once (the
-- layer and the partition never change) and summed for every later question.
CREATE TABLE road_km_runs (
  layer_id integer NOT NULL REFERENCES layers (layer_id),
  vintage_id integer NOT NULL REFERENCES vintages (vintage_id),
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (layer_id, vintage_id)
);
COMMENT ON TABLE road_km_runs IS 'Road layers whose km per commune of a vintage are stored in road_km';

CREATE TABLE road_km (
  layer_id integer NOT NULL,
  vintage_id integer NOT NULL,
  unit_id integer NOT NULL REFERENCES units (unit_id),
  road_class text NOT NULL,
  surface text NOT NULL,
  km double precision NOT NULL,
  PRIMARY KEY (layer_id, vintage_id, unit_id, road_class, surface),
  FOREIGN KEY (layer_id, vintage_id) REFERENCES road_km_runs (layer_id, vintage_id)
);
COMMENT ON TABLE road_km IS 'Km of a road layer per commune (partition cell) of a vintage, by class and surface';
