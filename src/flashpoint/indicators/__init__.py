"""Warning indicators per country pair and period, declared once and computed in the engine."""
