-- Custom migration (drizzle-kit generate --custom): the casts the custom_* views use. A view reads
-- each declared column as `data #>> path` cast to its type; one stored value the type cannot hold
-- (a date "2025-01-01garbage", written before values were checked on the way in) would make every
-- SELECT of the view fail. dockerhub.try_cast_<type>(text) returns NULL for such a value instead
-- (try_cast_unix_seconds: a JSON number in a timestamptz column, read as unix seconds).
--
-- The cast is tried in a block that catches the error. Such a block is a subtransaction, which a
-- parallel query cannot start: the functions are therefore not PARALLEL SAFE (a view over a large
-- table would otherwise fail under a parallel plan). A regular expression to skip the block for
-- plain values was measured slower than the block itself.
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_integer"(value text) RETURNS integer
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::integer;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_bigint"(value text) RETURNS bigint
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::bigint;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_numeric"(value text) RETURNS numeric
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::numeric;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_double"(value text) RETURNS double precision
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::double precision;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_boolean"(value text) RETURNS boolean
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::boolean;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_date"(value text) RETURNS date
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::date;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_timestamptz"(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN value::timestamptz;
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION "dockerhub"."try_cast_unix_seconds"(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE STRICT AS $$
BEGIN
  RETURN to_timestamp(value::double precision);
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
