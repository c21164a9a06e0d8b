"""The sales forecaster: daily units and revenue per product, per category and in total."""
