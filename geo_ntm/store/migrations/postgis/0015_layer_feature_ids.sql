-- A layer's features by layer and id: the first and last feature id of a layer (what a whole-layer
-- computation splits the layer by) are then read from one end of the layer's index entries, and
-- a range of ids of a layer is one index range. It serves every query the old (layer_id) index did.
CREATE INDEX layer_features_layer_feature ON layer_features (layer_id, feature_id);
DROP INDEX layer_features_layer;
