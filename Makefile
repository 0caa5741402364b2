.PHONY: run test test-scale test-faults lint
run:  ## run the product on the embedded default (or DATABASE_URL/REDIS_URL)
	scripts/run
test: ## run the test suite
	scripts/test
test-scale: ## two instances behind nginx, two workers, a streaming replica, RLS as the app role (own servers)
	scripts/test -m scale tests/scale
test-faults: ## PostgreSQL restarted and stopped, Redis stopped, under load: no 500, nothing lost (own servers)
	scripts/test -m faults tests/faults -s
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
