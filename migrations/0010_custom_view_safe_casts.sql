-- Custom migration (drizzle-kit generate --custom): the casts the custom_* views use. A view reads
-- each declared column as `data #>> path` cast to its type; one stored value the type cannot hold
-- (a date "2025-01-01garbage", written before values were checked on the way in) would make every
-- SELECT of the view fail. These functions return NULL for such a value instead. Values that are
-- plainly valid take the direct cast; anything else is tried in its own block.
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_integer"(value text) RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value ~ '^\s*[+-]?\d{1,9}\s*$' THEN RETURN value::integer; END IF;
  BEGIN
    RETURN value::integer;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_bigint"(value text) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value ~ '^\s*[+-]?\d{1,18}\s*$' THEN RETURN value::bigint; END IF;
  BEGIN
    RETURN value::bigint;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_numeric"(value text) RETURNS numeric
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value ~ '^\s*[+-]?\d{1,100}(\.\d{0,100})?\s*$' THEN RETURN value::numeric; END IF;
  BEGIN
    RETURN value::numeric;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_double"(value text) RETURNS double precision
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value ~ '^\s*[+-]?\d{1,15}(\.\d{0,15})?\s*$' THEN RETURN value::double precision; END IF;
  BEGIN
    RETURN value::double precision;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_boolean"(value text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  IF value IN ('true', 'false') THEN RETURN value::boolean; END IF;
  BEGIN
    RETURN value::boolean;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_date"(value text) RETURNS date
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  BEGIN
    RETURN value::date;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_timestamptz"(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  BEGIN
    RETURN value::timestamptz;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
--> statement-breakpoint
-- A JSON number in a timestamptz column is unix seconds.
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_unix_seconds"(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
  IF value IS NULL THEN RETURN NULL; END IF;
  BEGIN
    RETURN to_timestamp(value::double precision);
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
END $$;
