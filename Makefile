.PHONY: run test lint
run:  ## run the product on the embedded default (or DATABASE_URL/REDIS_URL)
	scripts/run
test: ## run the test suite
	scripts/test
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
