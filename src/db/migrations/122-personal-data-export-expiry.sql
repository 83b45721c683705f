-- Exports are downloadable for PERSONAL_DATA_EXPORT_RETENTION_DAYS, then an hourly job deletes
-- them by request time.
CREATE INDEX personal_data_exports_requested ON personal_data_exports (requested_at);
