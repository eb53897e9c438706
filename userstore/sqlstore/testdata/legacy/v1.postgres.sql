--
-- PostgreSQL database dump
--

\restrict JeHahpfqalohpxMMy4Lb0bGSNexehNmdDPt5IhA0G9K0U4r6y9OzLOLn7ztbO2j

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: usher_audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_audit (
    n bigint NOT NULL,
    realm text NOT NULL COLLATE pg_catalog."C",
    id text NOT NULL COLLATE pg_catalog."C",
    at bigint NOT NULL,
    kind text NOT NULL COLLATE pg_catalog."C",
    user_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    login text DEFAULT ''::text NOT NULL,
    remote text DEFAULT ''::text NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    detail text DEFAULT 'null'::text NOT NULL
);


--
-- Name: usher_audit_n_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.usher_audit ALTER COLUMN n ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.usher_audit_n_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: usher_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_changes (
    realm text NOT NULL COLLATE pg_catalog."C",
    seq bigint NOT NULL,
    kind text NOT NULL COLLATE pg_catalog."C",
    user_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    group_name text DEFAULT ''::text NOT NULL,
    at bigint NOT NULL
);


--
-- Name: usher_groups; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_groups (
    realm text NOT NULL COLLATE pg_catalog."C",
    name_norm text NOT NULL COLLATE pg_catalog."C",
    name text NOT NULL COLLATE pg_catalog."C",
    description text DEFAULT ''::text NOT NULL,
    metadata text DEFAULT 'null'::text NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    version bigint NOT NULL
);


--
-- Name: usher_members; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_members (
    realm text NOT NULL COLLATE pg_catalog."C",
    group_norm text NOT NULL COLLATE pg_catalog."C",
    user_id text NOT NULL COLLATE pg_catalog."C"
);


--
-- Name: usher_realms; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_realms (
    realm text NOT NULL COLLATE pg_catalog."C",
    seq bigint DEFAULT 0 NOT NULL
);


--
-- Name: usher_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_schema_migrations (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at bigint NOT NULL
);


--
-- Name: usher_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_tokens (
    realm text NOT NULL COLLATE pg_catalog."C",
    kind text NOT NULL COLLATE pg_catalog."C",
    hash text NOT NULL COLLATE pg_catalog."C",
    user_id text NOT NULL COLLATE pg_catalog."C",
    data bytea,
    created_at bigint NOT NULL,
    expires_at bigint DEFAULT 0 NOT NULL
);


--
-- Name: usher_users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.usher_users (
    realm text NOT NULL COLLATE pg_catalog."C",
    id text NOT NULL COLLATE pg_catalog."C",
    username text NOT NULL,
    username_norm text NOT NULL COLLATE pg_catalog."C",
    email text DEFAULT ''::text NOT NULL,
    email_norm text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    email_verified boolean DEFAULT false NOT NULL,
    phone text DEFAULT ''::text NOT NULL,
    display_name text DEFAULT ''::text NOT NULL,
    given_name text DEFAULT ''::text NOT NULL,
    family_name text DEFAULT ''::text NOT NULL,
    enabled boolean DEFAULT false NOT NULL,
    must_change_password boolean DEFAULT false NOT NULL,
    password_hash text DEFAULT ''::text NOT NULL,
    failed_logins bigint DEFAULT 0 NOT NULL,
    locked_until bigint DEFAULT 0 NOT NULL,
    attributes text DEFAULT 'null'::text NOT NULL,
    source text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    external_id text DEFAULT ''::text NOT NULL COLLATE pg_catalog."C",
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    version bigint NOT NULL
);


--
-- Data for Name: usher_audit; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_audit OVERRIDING SYSTEM VALUE VALUES (1, 'default', '6c061c9dab83e97aa76663a2368469d6', 1795176000000000000, 'login.failed', '01a1f8d3ea00db4f99af1c8ee9a105e3', 'bob', '192.0.2.1', 'wrong password', '{"n":"1"}');
INSERT INTO public.usher_audit OVERRIDING SYSTEM VALUE VALUES (2, 'staff', '28eae5682c127e3fb19aaf1f44b21231', 1795176000000000000, 'login.failed', '01a1f8d3ea00cfb67432e053ace3b980', 'bob', '192.0.2.1', 'wrong password', '{"n":"1"}');


--
-- Data for Name: usher_changes; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_changes VALUES ('default', 1, 'user.created', '01a1f8d3ea00db4f99af1c8ee9a105e2', '', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 2, 'user.created', '01a1f8d3ea00db4f99af1c8ee9a105e3', '', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 3, 'group.created', '', 'Staff', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 4, 'group.created', '', 'admins', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 5, 'member.added', '01a1f8d3ea00db4f99af1c8ee9a105e2', 'admins', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 6, 'member.added', '01a1f8d3ea00db4f99af1c8ee9a105e2', 'Staff', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 7, 'member.added', '01a1f8d3ea00db4f99af1c8ee9a105e3', 'Staff', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('default', 8, 'user.updated', '01a1f8d3ea00db4f99af1c8ee9a105e3', '', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 1, 'user.created', '01a1f8d3ea00cfb67432e053ace3b97f', '', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 2, 'user.created', '01a1f8d3ea00cfb67432e053ace3b980', '', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 3, 'group.created', '', 'Staff', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 4, 'group.created', '', 'admins', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 5, 'member.added', '01a1f8d3ea00cfb67432e053ace3b97f', 'admins', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 6, 'member.added', '01a1f8d3ea00cfb67432e053ace3b97f', 'Staff', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 7, 'member.added', '01a1f8d3ea00cfb67432e053ace3b980', 'Staff', 1795176000000000000);
INSERT INTO public.usher_changes VALUES ('staff', 8, 'user.updated', '01a1f8d3ea00cfb67432e053ace3b980', '', 1795176000000000000);


--
-- Data for Name: usher_groups; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_groups VALUES ('default', 'staff', 'Staff', 'everyone', '{"k":"v"}', 1795176000000000000, 1795176000000000000, 1);
INSERT INTO public.usher_groups VALUES ('default', 'admins', 'admins', '', 'null', 1795176000000000000, 1795176000000000000, 1);
INSERT INTO public.usher_groups VALUES ('staff', 'staff', 'Staff', 'everyone', '{"k":"v"}', 1795176000000000000, 1795176000000000000, 1);
INSERT INTO public.usher_groups VALUES ('staff', 'admins', 'admins', '', 'null', 1795176000000000000, 1795176000000000000, 1);


--
-- Data for Name: usher_members; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_members VALUES ('default', 'admins', '01a1f8d3ea00db4f99af1c8ee9a105e2');
INSERT INTO public.usher_members VALUES ('default', 'staff', '01a1f8d3ea00db4f99af1c8ee9a105e2');
INSERT INTO public.usher_members VALUES ('default', 'staff', '01a1f8d3ea00db4f99af1c8ee9a105e3');
INSERT INTO public.usher_members VALUES ('staff', 'admins', '01a1f8d3ea00cfb67432e053ace3b97f');
INSERT INTO public.usher_members VALUES ('staff', 'staff', '01a1f8d3ea00cfb67432e053ace3b97f');
INSERT INTO public.usher_members VALUES ('staff', 'staff', '01a1f8d3ea00cfb67432e053ace3b980');


--
-- Data for Name: usher_realms; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_realms VALUES ('default', 8);
INSERT INTO public.usher_realms VALUES ('staff', 8);


--
-- Data for Name: usher_schema_migrations; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_schema_migrations VALUES (1, '0001_init.sql', 1796152130528785148);


--
-- Data for Name: usher_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_tokens VALUES ('default', 'password-reset', 'token-hash-default', '01a1f8d3ea00db4f99af1c8ee9a105e2', '\x010203', 1795176000000000000, 2110795200000000000);
INSERT INTO public.usher_tokens VALUES ('staff', 'password-reset', 'token-hash-staff', '01a1f8d3ea00cfb67432e053ace3b97f', '\x010203', 1795176000000000000, 2110795200000000000);


--
-- Data for Name: usher_users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.usher_users VALUES ('default', '01a1f8d3ea00db4f99af1c8ee9a105e2', 'alice', 'alice', 'Alice@Example.test', 'alice@example.test', true, '+41 79 000 00 00', 'Alice Ämmer (default)', 'Alice', 'Ämmer', true, false, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 0, 0, '{"department":"R\u0026D","employeeNumber":"42"}', 'example.test', 'guid-alice', 1795176000000000000, 1795176000000000000, 1);
INSERT INTO public.usher_users VALUES ('default', '01a1f8d3ea00db4f99af1c8ee9a105e3', 'bob', 'bob', 'bob@example.test', 'bob@example.test', false, '', '', '', '', false, true, 'AQAAAAIAAYagAAAAEAAAAAAAAAAAAAAAAAAAAAA=', 1, 0, 'null', '', '', 1795176000000000000, 1795176000000000000, 2);
INSERT INTO public.usher_users VALUES ('staff', '01a1f8d3ea00cfb67432e053ace3b97f', 'alice', 'alice', 'Alice@Example.test', 'alice@example.test', true, '+41 79 000 00 00', 'Alice Ämmer (staff)', 'Alice', 'Ämmer', true, false, '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g', 0, 0, '{"department":"R\u0026D","employeeNumber":"42"}', 'example.test', 'guid-alice', 1795176000000000000, 1795176000000000000, 1);
INSERT INTO public.usher_users VALUES ('staff', '01a1f8d3ea00cfb67432e053ace3b980', 'bob', 'bob', 'bob@example.test', 'bob@example.test', false, '', '', '', '', false, true, 'AQAAAAIAAYagAAAAEAAAAAAAAAAAAAAAAAAAAAA=', 1, 0, 'null', '', '', 1795176000000000000, 1795176000000000000, 2);


--
-- Name: usher_audit_n_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.usher_audit_n_seq', 2, true);


--
-- Name: usher_audit usher_audit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_audit
    ADD CONSTRAINT usher_audit_pkey PRIMARY KEY (n);


--
-- Name: usher_changes usher_changes_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_changes
    ADD CONSTRAINT usher_changes_pkey PRIMARY KEY (realm, seq);


--
-- Name: usher_groups usher_groups_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_groups
    ADD CONSTRAINT usher_groups_pkey PRIMARY KEY (realm, name_norm);


--
-- Name: usher_members usher_members_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_members
    ADD CONSTRAINT usher_members_pkey PRIMARY KEY (realm, group_norm, user_id);


--
-- Name: usher_realms usher_realms_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_realms
    ADD CONSTRAINT usher_realms_pkey PRIMARY KEY (realm);


--
-- Name: usher_schema_migrations usher_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_schema_migrations
    ADD CONSTRAINT usher_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: usher_tokens usher_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_tokens
    ADD CONSTRAINT usher_tokens_pkey PRIMARY KEY (realm, kind, hash);


--
-- Name: usher_users usher_users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_users
    ADD CONSTRAINT usher_users_pkey PRIMARY KEY (realm, id);


--
-- Name: usher_audit_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usher_audit_time ON public.usher_audit USING btree (realm, at, n);


--
-- Name: usher_audit_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usher_audit_user ON public.usher_audit USING btree (realm, user_id, at, n);


--
-- Name: usher_groups_name; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usher_groups_name ON public.usher_groups USING btree (realm, name);


--
-- Name: usher_members_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usher_members_user ON public.usher_members USING btree (realm, user_id);


--
-- Name: usher_tokens_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usher_tokens_user ON public.usher_tokens USING btree (realm, user_id, kind);


--
-- Name: usher_users_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX usher_users_email ON public.usher_users USING btree (realm, email_norm) WHERE (email_norm <> ''::text);


--
-- Name: usher_users_external; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX usher_users_external ON public.usher_users USING btree (realm, source, external_id) WHERE (external_id <> ''::text);


--
-- Name: usher_users_username; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX usher_users_username ON public.usher_users USING btree (realm, username_norm);


--
-- Name: usher_members usher_members_realm_group_norm_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_members
    ADD CONSTRAINT usher_members_realm_group_norm_fkey FOREIGN KEY (realm, group_norm) REFERENCES public.usher_groups(realm, name_norm) ON DELETE CASCADE;


--
-- Name: usher_members usher_members_realm_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_members
    ADD CONSTRAINT usher_members_realm_user_id_fkey FOREIGN KEY (realm, user_id) REFERENCES public.usher_users(realm, id) ON DELETE CASCADE;


--
-- Name: usher_tokens usher_tokens_realm_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.usher_tokens
    ADD CONSTRAINT usher_tokens_realm_user_id_fkey FOREIGN KEY (realm, user_id) REFERENCES public.usher_users(realm, id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--

\unrestrict JeHahpfqalohpxMMy4Lb0bGSNexehNmdDPt5IhA0G9K0U4r6y9OzLOLn7ztbO2j

