-- Faster batches (issue 3): ledger_create_transfers stores the transfers whose row it knows in
-- advance before it locks the accounts, so that batches on the same hot accounts wait for each
-- other only while balances are checked and updated; and it looks up stored transfers with the
-- batch's ids (retries) only when the caller asks, or for the few transfers it cannot store in
-- advance: a batch that meets a stored id without looking fails on the primary key as a whole
-- and the caller runs it again, asking (src/ledger/ledger.cpp). Result codes and balances are
-- those of 0001's function. What differs:
--  * a transfer's created_at is when its batch started (before the locks), not when it was
--    applied, so under contention created_at may be a few milliseconds out of the order in
--    which batches were applied to an account; a pending transfer's timeout runs from then too;
--  * two batches holding the same new transfer id at the same moment (a resubmission racing
--    the original) can wait for each other in a cycle; PostgreSQL detects it after
--    deadlock_timeout and one of them rolls back and is run again. Batches with distinct ids
--    still never deadlock: every batch locks accounts in id order.
-- The 14-argument form stays as a wrapper (it always looks up stored ids), for a process of the
-- previous version still running beside this one during a rolling deploy.

DROP FUNCTION ledger_create_transfers(uuid[], uuid[], uuid[], numeric[], uuid[], bigint[],
  integer[], integer[], bigint[], boolean[], integer[], integer[], integer[], integer[]);

CREATE FUNCTION ledger_create_transfers(
    in_ids uuid[], in_debits uuid[], in_credits uuid[], in_amounts numeric[],
    in_pending_ids uuid[], in_ledgers bigint[], in_codes integer[], in_flags integer[],
    in_timeouts bigint[], in_links boolean[], in_prechecks integer[],
    in_prev_same_id integer[], in_prev_same_pending integer[], in_batch_pending integer[],
    in_check_existing boolean)
RETURNS integer[]
LANGUAGE plpgsql
-- Plan the statements below once per session instead of again for every batch. That plan is
-- made without knowing the arrays' sizes, often while the tables are still small and never
-- analyzed; every statement here reaches rows by id, so keep the planner on the indexes (a
-- sequential scan of ledger_transfers per batch grows with the table).
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
AS $$
DECLARE
  -- Parameters copied into variables: PL/pgSQL keeps variables of array type in expanded form,
  -- so reading element i costs O(1) instead of a walk over the flat array.
  p_ids uuid[] := in_ids; p_debits uuid[] := in_debits; p_credits uuid[] := in_credits;
  p_amounts numeric[] := in_amounts; p_pending_ids uuid[] := in_pending_ids;
  p_ledgers bigint[] := in_ledgers; p_codes integer[] := in_codes; p_flags integer[] := in_flags;
  p_timeouts bigint[] := in_timeouts; p_links boolean[] := in_links;
  p_prechecks integer[] := in_prechecks;
  prev_same_id integer[] := in_prev_same_id; prev_same_pending integer[] := in_prev_same_pending;
  batch_pending integer[] := in_batch_pending;
  n integer := cardinality(in_ids);
  max_u128 constant numeric := 340282366920938463463374607431768211455;
  now_ts timestamptz;
  -- Locked accounts, sorted by id; a_* indexed by position.
  a_ids uuid[]; a_ledger bigint[]; a_flags integer[];
  a_dp numeric[]; a_dpo numeric[]; a_cp numeric[]; a_cpo numeric[];
  -- Per transfer: account positions, the stored transfer with the same id, the pending
  -- transfer it posts or voids (as stored), and the links to earlier transfers of the batch.
  dr_pos integer[]; cr_pos integer[]; pdr_pos integer[]; pcr_pos integer[];
  e_found boolean[]; e_debit uuid[]; e_credit uuid[]; e_amount numeric[]; e_pending uuid[];
  e_ledger bigint[]; e_code integer[]; e_flags integer[]; e_timeout bigint[];
  has_resolves boolean := false; rec record; may_overflow boolean;
  -- Rows stored before locking (see below): which, and those to take back or add afterwards.
  simple boolean[]; blocked boolean[]; taken_back uuid[]; late boolean;
  p_created timestamptz[]; now_locked timestamptz;
  p_debit uuid[]; p_credit uuid[]; p_amount numeric[]; p_ledger bigint[];
  p_code integer[]; p_flagsv integer[]; p_state smallint[]; p_expires timestamptz[];
  p_tid tid[]; stale integer[]; posted_tids tid[]; voided_tids tid[];
  -- Outcome per transfer.
  result integer[]; applied boolean[]; from_db boolean[];
  r_debit uuid[]; r_credit uuid[]; r_amount numeric[]; r_ledger bigint[]; r_code integer[];
  r_state smallint[];
  -- Effect per applied transfer, for undoing a failed linked chain.
  u_dr integer[]; u_cr integer[]; u_pending numeric[]; u_posted numeric[]; u_pj integer[];
  i integer; j integer; k integer; c integer; chain_start integer; chain_failed boolean := false;
  f integer; dr integer; cr integer; amt numeric; pend numeric; code integer;
  pid_flags integer; pid_state smallint; pid_expires timestamptz; pid_amount numeric;
  pid_debit uuid; pid_credit uuid; pid_ledger bigint; pid_code integer; pid_tid tid;
BEGIN
  IF n IS NULL OR n = 0 THEN
    RETURN ARRAY[]::integer[];
  END IF;
  -- When the batch started: the transfers' created_at (a post's never before its pending
  -- transfer's) and the start of a pending transfer's timeout. Whether a pending transfer has
  -- expired is judged at now_locked, taken once the accounts are locked: batches on the same
  -- accounts take their locks one after another, so what one judged expired stays expired for
  -- every later one.
  now_ts := clock_timestamp();

  -- The pending transfers this batch posts or voids: their fields never change, so they are
  -- read before locking, with where their rows are (to read the state again under the locks
  -- without another index search). Then every account involved, locked in id order.
  IF array_position(p_flags, 4) IS NOT NULL OR array_position(p_flags, 8) IS NOT NULL
     OR array_position(p_flags, 5) IS NOT NULL OR array_position(p_flags, 9) IS NOT NULL THEN
    has_resolves := true;
    SELECT array_agg(q.d), array_agg(q.c), array_agg(q.a), array_agg(q.l), array_agg(q.co),
           array_agg(q.f), array_agg(q.x), array_agg(q.tid), array_agg(q.cr)
      INTO p_debit, p_credit, p_amount, p_ledger, p_code, p_flagsv, p_expires, p_tid, p_created
      FROM (SELECT t.debit_account_id AS d, t.credit_account_id AS c, t.amount AS a,
                   t.ledger AS l, t.code AS co, t.flags AS f, t.expires_at AS x, t.ctid AS tid,
                   t.created_at AS cr
              FROM unnest(p_pending_ids) WITH ORDINALITY AS u(pid, ord)
              LEFT JOIN LATERAL (SELECT x.*, x.ctid FROM ledger_transfers x WHERE x.id = u.pid) t ON true
             ORDER BY u.ord) q;
  ELSE
    p_debit := array_fill(NULL::uuid, ARRAY[n]);
    p_credit := p_debit;
    p_flagsv := array_fill(NULL::integer, ARRAY[n]);
  END IF;

  -- Store the transfers before locking the accounts, as if each will be applied, so that the
  -- accounts' locks (which every batch on the same accounts waits for) are held for the
  -- balance checks and updates only, not for inserting rows and their index entries. That is
  -- done for the "simple" transfers, whose stored row is known now if they apply: nothing
  -- wrong in their own fields, no stored or earlier transfer of the batch with the same id, no
  -- transfer of the batch posting or voiding them (that changes their state), and for a post
  -- or void a stored pending transfer. After the loop, the simple ones that did not apply are
  -- deleted again (same transaction: no one ever sees them) and the other applied ones are
  -- inserted. Inserted in id order, so that two batches holding the same new ids wait for each
  -- other in one order.
  --
  -- The transfers a post or void of the batch may resolve (rare): every candidate of each,
  -- marked once (a walk stops at a mark, so this is linear in the batch).
  IF has_resolves AND cardinality(array_remove(batch_pending, NULL)) > 0 THEN
    blocked := array_fill(false, ARRAY[n]);
    FOR i IN 1..n LOOP
      j := batch_pending[i];
      WHILE j IS NOT NULL AND NOT blocked[j] LOOP
        blocked[j] := true;
        j := prev_same_id[j];
      END LOOP;
    END LOOP;
  END IF;
  SELECT array_agg(coalesce(u.pre = 0 AND u.psi IS NULL AND u.blk IS NOT TRUE
                            AND (u.f & 12 = 0 OR (u.bp IS NULL AND u.pf & 2 <> 0)), false)
                   ORDER BY u.ord)
    INTO simple
    FROM unnest(p_prechecks, prev_same_id, blocked, p_flags, batch_pending, p_flagsv)
         WITH ORDINALITY AS u(pre, psi, blk, f, bp, pf, ord);

  -- Stored transfers with one of our ids (usually none: these are retries), read before
  -- locking: a stored transfer's fields never change. Every id is looked up when the caller
  -- asks (in_check_existing); otherwise only those of transfers that are not simple (rare),
  -- whose outcome may be decided before they are inserted. A simple transfer with a stored id,
  -- and any transfer whose id another batch stores after this read, makes an INSERT fail on the
  -- primary key: the whole batch rolls back and the caller runs it again, asking.
  e_found := array_fill(false, ARRAY[n]);
  IF in_check_existing OR false = ANY(simple) THEN
    FOR rec IN SELECT u.ord::integer AS ord, e.*
                 FROM (SELECT x.id, x.ord FROM unnest(p_ids, simple, p_prechecks)
                                               WITH ORDINALITY AS x(id, s, pre, ord)
                        WHERE in_check_existing OR (NOT x.s AND x.pre = 0)) u
                 JOIN LATERAL (SELECT * FROM ledger_transfers WHERE id = u.id) e ON true LOOP
      e_found[rec.ord] := true; e_debit[rec.ord] := rec.debit_account_id;
      e_credit[rec.ord] := rec.credit_account_id; e_amount[rec.ord] := rec.amount;
      e_pending[rec.ord] := rec.pending_id; e_ledger[rec.ord] := rec.ledger;
      e_code[rec.ord] := rec.code; e_flags[rec.ord] := rec.flags;
      e_timeout[rec.ord] := rec.timeout_seconds;
      simple[rec.ord] := false;
    END LOOP;
  END IF;

  INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id,
                                ledger, code, flags, timeout_seconds, expires_at, state,
                                created_at)
  SELECT u.id, coalesce(u.d, u.pd), coalesce(u.c, u.pc),
         CASE WHEN u.f & 12 = 0 THEN u.a WHEN u.f & 4 <> 0 THEN coalesce(u.a, u.pa) ELSE u.pa END,
         u.pid, CASE WHEN u.f & 12 = 0 THEN u.l ELSE u.pl END,
         CASE WHEN u.f & 12 = 0 THEN u.co ELSE u.pco END, u.f, u.t,
         CASE WHEN u.f & 2 <> 0 AND u.t > 0 THEN now_ts + make_interval(secs => u.t) END,
         CASE WHEN u.f & 2 <> 0 THEN 1 ELSE 0 END, greatest(now_ts, u.pcr)
    FROM unnest(p_ids, p_debits, p_credits, p_amounts, p_pending_ids, p_ledgers, p_codes,
                p_flags, p_timeouts, simple, p_debit, p_credit, p_amount, p_ledger, p_code,
                p_created)
         AS u(id, d, c, a, pid, l, co, f, t, s, pd, pc, pa, pl, pco, pcr)
   WHERE u.s
   ORDER BY u.id;

  SELECT array_agg(a.id ORDER BY a.id), array_agg(a.ledger ORDER BY a.id),
         array_agg(a.flags ORDER BY a.id), array_agg(a.debits_pending ORDER BY a.id),
         array_agg(a.debits_posted ORDER BY a.id), array_agg(a.credits_pending ORDER BY a.id),
         array_agg(a.credits_posted ORDER BY a.id)
    INTO a_ids, a_ledger, a_flags, a_dp, a_dpo, a_cp, a_cpo
    FROM (SELECT * FROM ledger_accounts
           WHERE id IN (SELECT unnest(p_debits) UNION SELECT unnest(p_credits)
                        UNION SELECT unnest(p_debit) UNION SELECT unnest(p_credit))
           ORDER BY id FOR UPDATE) a;
  now_locked := clock_timestamp();
  IF a_ids IS NULL THEN
    a_ids := ARRAY[]::uuid[];
  END IF;

  SELECT array_agg(q.d), array_agg(q.c), array_agg(q.pd), array_agg(q.pc)
    INTO dr_pos, cr_pos, pdr_pos, pcr_pos
    FROM (SELECT da.pos::integer AS d, ca.pos::integer AS c, pda.pos::integer AS pd,
                 pca.pos::integer AS pc
            FROM unnest(p_debits, p_credits, p_debit, p_credit) WITH ORDINALITY AS u(d, c, pd, pc, ord)
            LEFT JOIN unnest(a_ids) WITH ORDINALITY AS da(id, pos) ON da.id = u.d
            LEFT JOIN unnest(a_ids) WITH ORDINALITY AS ca(id, pos) ON ca.id = u.c
            LEFT JOIN unnest(a_ids) WITH ORDINALITY AS pda(id, pos) ON pda.id = u.pd
            LEFT JOIN unnest(a_ids) WITH ORDINALITY AS pca(id, pos) ON pca.id = u.pc
           ORDER BY u.ord) q;

  -- Stored transfers, read after the locks: whoever changes a pending transfer's state holds
  -- its accounts' locks, so what we read now stays true until we commit.
  -- Can any balance overflow in this batch? Only if the largest total now plus every amount
  -- the batch could add passes 2^128 - 1; usually not, and then the loop skips those checks.
  SELECT coalesce(max(greatest(b.dp + b.dpo, b.cp + b.cpo)), 0)
         + coalesce((SELECT sum(x) FROM unnest(p_amounts) x), 0)
         + coalesce((SELECT sum(y) FROM unnest(p_amount) y), 0) > max_u128
    INTO may_overflow
    FROM unnest(a_dp, a_dpo, a_cp, a_cpo) AS b(dp, dpo, cp, cpo);

  -- The states of the pending transfers we post or void, read now that we hold the locks, at
  -- the rows read before locking. A row that changed meanwhile is no longer visible there
  -- (nor is one whose slot was reused: the id is checked); those few are searched by id.
  IF has_resolves THEN
    SELECT array_agg(q.s) INTO p_state
      FROM (SELECT t.state AS s
              FROM unnest(p_pending_ids, p_tid) WITH ORDINALITY AS u(pid, tid, ord)
              LEFT JOIN ledger_transfers t ON t.ctid = u.tid AND t.id = u.pid
             ORDER BY u.ord) q;
    SELECT array_agg(u.ord) INTO stale
      FROM unnest(p_state, p_flagsv) WITH ORDINALITY AS u(s, f, ord)
     WHERE u.s IS NULL AND u.f IS NOT NULL;
    IF stale IS NOT NULL THEN
      FOREACH i IN ARRAY stale LOOP
        SELECT t.state, t.ctid INTO pid_state, pid_tid
          FROM ledger_transfers t WHERE t.id = p_pending_ids[i];
        p_state[i] := pid_state; p_tid[i] := pid_tid;
      END LOOP;
    END IF;
  END IF;

  result := array_fill(0, ARRAY[n]);
  applied := array_fill(false, ARRAY[n]);
  from_db := array_fill(false, ARRAY[n]);
  r_debit := p_debits; r_credit := p_credits; r_amount := p_amounts;
  r_ledger := p_ledgers; r_code := p_codes;
  r_state := array_fill(NULL::smallint, ARRAY[n]);  -- NULL: as the kind says
  u_dr := array_fill(NULL::integer, ARRAY[n]); u_cr := u_dr; u_pj := u_dr;
  u_pending := array_fill(NULL::numeric, ARRAY[n]); u_posted := u_pending;

  -- The hot loop: one pass in batch order. The common path is kept to few statements; the
  -- detailed checks run only once a cheap combined test says something is wrong.
  FOR i IN 1..n LOOP
    IF chain_start IS NULL THEN
      chain_start := i;
    END IF;
    code := 0;
    f := p_flags[i];
    IF chain_failed THEN
      code := 1;  -- linked_event_failed
    ELSIF p_prechecks[i] <> 0 THEN
      code := p_prechecks[i];
    ELSIF f & 12 <> 0 THEN
      -- Post or void: find the pending transfer, in this batch first, then stored.
      j := batch_pending[i];
      WHILE j IS NOT NULL AND NOT applied[j] LOOP
        j := prev_same_id[j];
      END LOOP;
      IF j IS NOT NULL THEN
        pid_flags := p_flags[j]; pid_amount := r_amount[j]; pid_debit := p_debits[j];
        pid_credit := p_credits[j]; pid_ledger := p_ledgers[j]; pid_code := p_codes[j];
        pid_state := coalesce(r_state[j], 1); pid_expires := NULL;
        dr := dr_pos[j]; cr := cr_pos[j];
      ELSIF p_flagsv[i] IS NOT NULL THEN
        pid_flags := p_flagsv[i]; pid_amount := p_amount[i]; pid_debit := p_debit[i];
        pid_credit := p_credit[i]; pid_ledger := p_ledger[i]; pid_code := p_code[i];
        pid_state := p_state[i]; pid_expires := p_expires[i];
        dr := pdr_pos[i]; cr := pcr_pos[i];
      ELSE
        code := 19;  -- pending_transfer_not_found
      END IF;
      amt := p_amounts[i];
      IF code = 0 AND (pid_flags & 2 = 0 OR p_debits[i] IS NOT NULL OR p_credits[i] IS NOT NULL
                       OR p_ledgers[i] <> 0 OR p_codes[i] <> 0 OR amt IS NOT NULL) THEN
        IF pid_flags & 2 = 0 THEN
          code := 20;  -- pending_transfer_not_pending
        ELSIF p_debits[i] IS NOT NULL AND p_debits[i] <> pid_debit THEN
          code := 21;
        ELSIF p_credits[i] IS NOT NULL AND p_credits[i] <> pid_credit THEN
          code := 22;
        ELSIF p_ledgers[i] <> 0 AND p_ledgers[i] <> pid_ledger THEN
          code := 23;
        ELSIF p_codes[i] <> 0 AND p_codes[i] <> pid_code THEN
          code := 24;
        ELSIF f & 4 <> 0 AND amt IS NOT NULL AND amt > pid_amount THEN
          code := 25;  -- exceeds_pending_transfer_amount
        ELSIF f & 8 <> 0 AND amt IS NOT NULL AND amt <> pid_amount THEN
          code := 26;  -- pending_transfer_has_different_amount
        END IF;
      END IF;
      IF code = 0 AND (e_found[i] OR prev_same_id[i] IS NOT NULL) THEN
        -- Exists? (an applied earlier transfer of this batch, or a stored one)
        k := prev_same_id[i];
        WHILE k IS NOT NULL AND NOT applied[k] LOOP
          k := prev_same_id[k];
        END LOOP;
        IF k IS NOT NULL THEN
          code := CASE WHEN p_flags[k] = f AND p_pending_ids[k] = p_pending_ids[i]
                             AND (amt IS NULL OR amt = r_amount[k])
                             AND p_timeouts[k] = p_timeouts[i]
                        THEN 31 ELSE 30 END;
        ELSIF e_found[i] THEN
          code := CASE WHEN e_flags[i] = f AND e_pending[i] IS NOT DISTINCT FROM p_pending_ids[i]
                             AND (amt IS NULL OR amt = e_amount[i])
                             AND e_timeout[i] = p_timeouts[i]
                        THEN 31 ELSE 30 END;
        END IF;
      END IF;
      IF code = 0 AND (prev_same_pending[i] IS NOT NULL OR pid_state <> 1
                       OR pid_expires <= now_locked) THEN
        k := prev_same_pending[i];
        WHILE k IS NOT NULL AND NOT applied[k] LOOP
          k := prev_same_pending[k];
        END LOOP;
        IF pid_state = 2 OR (k IS NOT NULL AND p_flags[k] & 4 <> 0) THEN
          code := 27;  -- pending_transfer_already_posted
        ELSIF pid_state = 3 OR k IS NOT NULL THEN
          code := 28;  -- pending_transfer_already_voided
        ELSIF pid_state = 4 OR pid_expires <= now_locked THEN
          code := 29;  -- pending_transfer_expired
        END IF;
      END IF;
      IF code = 0 THEN
        pend := pid_amount;
        IF f & 4 = 0 THEN
          amt := 0;  -- a void posts nothing
        ELSIF amt IS NULL THEN
          amt := pid_amount;
        END IF;
        IF may_overflow AND (a_dpo[dr] + amt > max_u128 OR a_cpo[cr] + amt > max_u128) THEN
          code := CASE WHEN a_dpo[dr] + amt > max_u128 THEN 34 ELSE 35 END;
        ELSE
          a_dp[dr] := a_dp[dr] - pend; a_cp[cr] := a_cp[cr] - pend;
          a_dpo[dr] := a_dpo[dr] + amt; a_cpo[cr] := a_cpo[cr] + amt;
          r_debit[i] := pid_debit; r_credit[i] := pid_credit; r_ledger[i] := pid_ledger;
          r_code[i] := pid_code;
          r_amount[i] := CASE WHEN f & 4 <> 0 THEN amt ELSE pend END;
          IF j IS NOT NULL THEN
            r_state[j] := CASE WHEN f & 4 <> 0 THEN 2 ELSE 3 END;
          ELSE
            from_db[i] := true;
          END IF;
          IF p_links[i] OR i > chain_start THEN  -- remember how to undo it
            u_dr[i] := dr; u_cr[i] := cr; u_pending[i] := -pend; u_posted[i] := amt; u_pj[i] := j;
          END IF;
          applied[i] := true;
        END IF;
      END IF;
    ELSE
      -- Single-phase or pending.
      dr := dr_pos[i]; cr := cr_pos[i]; amt := p_amounts[i];
      IF dr IS NULL OR cr IS NULL OR a_ledger[dr] <> a_ledger[cr]
         OR p_ledgers[i] <> a_ledger[dr] THEN
        IF dr IS NULL THEN
          code := 15;  -- debit_account_not_found
        ELSIF cr IS NULL THEN
          code := 16;  -- credit_account_not_found
        ELSIF a_ledger[dr] <> a_ledger[cr] THEN
          code := 17;  -- accounts_must_have_the_same_ledger
        ELSE
          code := 18;  -- transfer_must_have_the_same_ledger_as_accounts
        END IF;
      ELSIF e_found[i] OR prev_same_id[i] IS NOT NULL THEN
        k := prev_same_id[i];
        WHILE k IS NOT NULL AND NOT applied[k] LOOP
          k := prev_same_id[k];
        END LOOP;
        IF k IS NOT NULL THEN
          code := CASE WHEN p_flags[k] = f AND p_debits[k] = p_debits[i]
                             AND p_credits[k] = p_credits[i] AND p_amounts[k] = amt
                             AND p_pending_ids[k] IS NULL AND p_ledgers[k] = p_ledgers[i]
                             AND p_codes[k] = p_codes[i] AND p_timeouts[k] = p_timeouts[i]
                        THEN 31 ELSE 30 END;
        ELSIF e_found[i] THEN
          code := CASE WHEN e_flags[i] = f AND e_debit[i] = p_debits[i]
                             AND e_credit[i] = p_credits[i] AND e_amount[i] = amt
                             AND e_pending[i] IS NULL AND e_ledger[i] = p_ledgers[i]
                             AND e_code[i] = p_codes[i] AND e_timeout[i] = p_timeouts[i]
                        THEN 31 ELSE 30 END;
        END IF;
      END IF;
      -- Totals that fit imply every part fits, so one test covers the usual case.
      IF code = 0 AND may_overflow AND (a_dp[dr] + a_dpo[dr] + amt > max_u128
                                        OR a_cp[cr] + a_cpo[cr] + amt > max_u128) THEN
        IF f & 2 <> 0 AND a_dp[dr] + amt > max_u128 THEN
          code := 32;  -- overflows_debits_pending
        ELSIF f & 2 <> 0 AND a_cp[cr] + amt > max_u128 THEN
          code := 33;  -- overflows_credits_pending
        ELSIF f & 2 = 0 AND a_dpo[dr] + amt > max_u128 THEN
          code := 34;  -- overflows_debits_posted
        ELSIF f & 2 = 0 AND a_cpo[cr] + amt > max_u128 THEN
          code := 35;  -- overflows_credits_posted
        ELSIF a_dp[dr] + a_dpo[dr] + amt > max_u128 THEN
          code := 36;  -- overflows_debits
        ELSE
          code := 37;  -- overflows_credits
        END IF;
      END IF;
      IF code = 0 THEN
        IF a_flags[dr] & 2 <> 0 AND a_dp[dr] + a_dpo[dr] + amt > a_cpo[dr] THEN
          code := 39;  -- exceeds_credits
        ELSIF a_flags[cr] & 4 <> 0 AND a_cp[cr] + a_cpo[cr] + amt > a_dpo[cr] THEN
          code := 40;  -- exceeds_debits
        ELSIF f & 2 <> 0 THEN
          a_dp[dr] := a_dp[dr] + amt; a_cp[cr] := a_cp[cr] + amt;
          applied[i] := true;
          IF p_links[i] OR i > chain_start THEN
            u_dr[i] := dr; u_cr[i] := cr; u_pending[i] := amt; u_posted[i] := 0;
          END IF;
        ELSE
          a_dpo[dr] := a_dpo[dr] + amt; a_cpo[cr] := a_cpo[cr] + amt;
          applied[i] := true;
          IF p_links[i] OR i > chain_start THEN
            u_dr[i] := dr; u_cr[i] := cr; u_pending[i] := 0; u_posted[i] := amt;
          END IF;
        END IF;
      END IF;
    END IF;

    IF code <> 0 THEN
      result[i] := code;
      IF NOT chain_failed AND (p_links[i] OR i > chain_start) THEN
        -- A member of a linked chain failed: undo the members applied before it.
        FOR c IN REVERSE i - 1..chain_start LOOP
          IF applied[c] THEN
            a_dp[u_dr[c]] := a_dp[u_dr[c]] - u_pending[c];
            a_cp[u_cr[c]] := a_cp[u_cr[c]] - u_pending[c];
            a_dpo[u_dr[c]] := a_dpo[u_dr[c]] - u_posted[c];
            a_cpo[u_cr[c]] := a_cpo[u_cr[c]] - u_posted[c];
            IF u_pj[c] IS NOT NULL THEN
              r_state[u_pj[c]] := NULL;
            END IF;
            applied[c] := false;
            from_db[c] := false;
          END IF;
          result[c] := 1;  -- linked_event_failed
        END LOOP;
        chain_failed := true;
      END IF;
    END IF;
    IF NOT p_links[i] THEN
      chain_start := NULL;
      chain_failed := false;
    END IF;
  END LOOP;

  -- Settle the rows stored before locking: take back the simple transfers that did not apply,
  -- insert the other transfers that did.
  SELECT array_agg(u.id) FILTER (WHERE u.s AND NOT u.ok), bool_or(u.ok AND NOT u.s)
    INTO taken_back, late
    FROM unnest(p_ids, simple, applied) AS u(id, s, ok);
  IF taken_back IS NOT NULL THEN
    DELETE FROM ledger_transfers WHERE id = ANY(taken_back);
  END IF;
  IF late THEN
    INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id,
                                  ledger, code, flags, timeout_seconds, expires_at, state,
                                  created_at)
    SELECT u.id, u.d, u.c, u.a, u.pid, u.l, u.co, u.f, u.t,
           CASE WHEN u.f & 2 <> 0 AND u.t > 0 THEN now_ts + make_interval(secs => u.t) END,
           coalesce(u.s, CASE WHEN u.f & 2 <> 0 THEN 1 ELSE 0 END), greatest(now_ts, u.pcr)
      FROM unnest(p_ids, r_debit, r_credit, r_amount, p_pending_ids, r_ledger, r_code, p_flags,
                  p_timeouts, r_state, applied, simple, p_created)
           AS u(id, d, c, a, pid, l, co, f, t, s, ok, simple, pcr)
     WHERE u.ok AND NOT u.simple;
  END IF;

  -- The stored pending transfers resolved, at the rows whose state was read under the locks.
  SELECT array_agg(u.tid) FILTER (WHERE u.f & 4 <> 0), array_agg(u.tid) FILTER (WHERE u.f & 4 = 0)
    INTO posted_tids, voided_tids
    FROM unnest(p_tid, p_flags, from_db) AS u(tid, f, db)
   WHERE u.db;
  IF posted_tids IS NOT NULL THEN
    UPDATE ledger_transfers SET state = 2 WHERE ctid = ANY(posted_tids);
  END IF;
  IF voided_tids IS NOT NULL THEN
    UPDATE ledger_transfers SET state = 3 WHERE ctid = ANY(voided_tids);
  END IF;

  UPDATE ledger_accounts a
     SET debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp,
         credits_posted = u.cpo
    FROM unnest(a_ids, a_dp, a_dpo, a_cp, a_cpo) AS u(id, dp, dpo, cp, cpo)
   WHERE a.id = u.id AND (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)
                         IS DISTINCT FROM (u.dp, u.dpo, u.cp, u.cpo);

  RETURN result;
END;
$$;

CREATE FUNCTION ledger_create_transfers(
    in_ids uuid[], in_debits uuid[], in_credits uuid[], in_amounts numeric[],
    in_pending_ids uuid[], in_ledgers bigint[], in_codes integer[], in_flags integer[],
    in_timeouts bigint[], in_links boolean[], in_prechecks integer[],
    in_prev_same_id integer[], in_prev_same_pending integer[], in_batch_pending integer[])
RETURNS integer[]
LANGUAGE sql AS $$
  SELECT ledger_create_transfers(in_ids, in_debits, in_credits, in_amounts, in_pending_ids,
                                 in_ledgers, in_codes, in_flags, in_timeouts, in_links,
                                 in_prechecks, in_prev_same_id, in_prev_same_pending,
                                 in_batch_pending, true)
$$;
