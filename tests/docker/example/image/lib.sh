# Connection settings from the environment compose gives a workload connected to a database and a
# cache, found by their scheme so the script does not depend on the variable names.
db_url() { env | sed -n 's/^[A-Z0-9_]*=\(postgresql:\/\/.*\)$/\1/p' | head -n1; }
cache_url() { env | sed -n 's/^[A-Z0-9_]*=\(redis:\/\/.*\)$/\1/p' | head -n1; }
db_password() { cat "$(env | sed -n 's/^[A-Z0-9_]*PASSWORD_FILE=\(.*\)$/\1/p' | head -n1)"; }
sql() { PGPASSWORD="$(db_password)" psql "$(db_url)" -v ON_ERROR_STOP=1 -tAc "$1"; }
