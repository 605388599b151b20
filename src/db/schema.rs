//! The schema in portable types: the same tables on SQLite and PostgreSQL.
//! Every column is classified in `privacy::inventory`; a test checks that none is missed.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        email_verified_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        password_changed_at -> Timestamp,
        created_at -> Timestamp,
        client_id -> Nullable<BigInt>,
        hot_alerts -> Bool,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_refreshed_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        session_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    one_time_tokens (jti) {
        jti -> Text,
        user_id -> BigInt,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attempts (id) {
        id -> BigInt,
        subject -> Text,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> BigInt,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        message_id -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        erase_when_sent -> Bool,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        name_key -> Text,
        friendly_competitor -> Bool,
        created_at -> Timestamp,
        same_as -> Nullable<BigInt>,
    }
}

diesel::table! {
    clients (id) {
        id -> BigInt,
        organization_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    client_competitors (client_id, organization_id) {
        client_id -> BigInt,
        organization_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    shoppers (user_id) {
        user_id -> BigInt,
        code -> Text,
        status -> Text,
        legal_name -> Text,
        street -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        phone -> Nullable<Text>,
        date_of_birth -> Nullable<Text>,
        tax_id -> Nullable<Text>,
        bank_account -> Nullable<Text>,
        latitude -> Double,
        longitude -> Double,
        travel_radius_km -> Double,
        languages -> Text,
        vehicle -> Bool,
        agreement_version -> Text,
        privacy_notice_version -> Text,
        agreed_at -> Timestamp,
        status_changed_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        sensitive_limited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    certifications (id) {
        id -> BigInt,
        shopper_id -> BigInt,
        name -> Text,
        issuer -> Text,
        number -> Nullable<Text>,
        expires_on -> Nullable<Date>,
    }
}

diesel::table! {
    affiliations (id) {
        id -> BigInt,
        shopper_id -> BigInt,
        organization_id -> BigInt,
        relation -> Text,
        ended_on -> Nullable<Date>,
    }
}

diesel::table! {
    shopper_status_changes (id) {
        id -> BigInt,
        shopper_id -> BigInt,
        status -> Text,
        reason -> Text,
        changed_by -> Nullable<BigInt>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    ratings (id) {
        id -> BigInt,
        shopper_id -> BigInt,
        score -> Integer,
        citation -> Nullable<Text>,
        note -> Nullable<Text>,
        rated_by -> BigInt,
        rated_on -> Date,
        assignment_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    consents (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        granted -> Bool,
        source -> Text,
        notice_version -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    access_records (id) {
        id -> BigInt,
        staff_id -> BigInt,
        subject_id -> BigInt,
        categories -> Text,
        purpose -> Text,
        accessed_at -> Timestamp,
    }
}

diesel::table! {
    disclosures (id) {
        id -> BigInt,
        subject_id -> BigInt,
        recipient -> Text,
        categories -> Text,
        purpose -> Text,
        disclosed_at -> Timestamp,
        share_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    locations (id) {
        id -> BigInt,
        client_id -> BigInt,
        code -> Text,
        name -> Text,
        street -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        latitude -> Double,
        longitude -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_key -> Text,
    }
}

diesel::table! {
    disqualifications (id) {
        id -> BigInt,
        shopper_id -> BigInt,
        client_id -> BigInt,
        location_id -> Nullable<BigInt>,
        reason -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    projects (id) {
        id -> BigInt,
        client_id -> BigInt,
        name -> Text,
        max_km -> Double,
        min_age -> Nullable<Integer>,
        max_age -> Nullable<Integer>,
        vehicle -> Bool,
        languages -> Text,
        certifications -> Text,
        min_rating -> Nullable<Double>,
        min_completed -> Integer,
        rotation_days -> Integer,
        fee_cents -> BigInt,
        reimbursement_cap_cents -> BigInt,
        show_client_name -> Bool,
        created_at -> Timestamp,
        offer_hours -> Integer,
        self_assign_min_rating -> Nullable<Double>,
        report_grace_days -> Integer,
        photo_time_tolerance_minutes -> Integer,
        photo_distance_limit_m -> Integer,
        keep_photo_originals -> Bool,
        review_limit_hours -> Integer,
        auto_approve -> Bool,
        revision_hours -> Integer,
        release_on_approval -> Bool,
        dispute_days -> Integer,
        visit_minutes -> Integer,
        alert_below_percent -> Nullable<Integer>,
        alert_question -> Nullable<Text>,
        alert_answers -> Nullable<Text>,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        project_id -> BigInt,
        location_id -> BigInt,
        code -> Text,
        window_start -> Date,
        window_end -> Date,
        fee_cents -> BigInt,
        bonus_cents -> BigInt,
        reimbursement_cap_cents -> BigInt,
        max_km -> Nullable<Double>,
        min_age -> Nullable<Integer>,
        max_age -> Nullable<Integer>,
        vehicle -> Nullable<Bool>,
        languages -> Nullable<Text>,
        certifications -> Nullable<Text>,
        min_rating -> Nullable<Double>,
        min_completed -> Nullable<Integer>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(one_time_tokens -> users (user_id));
diesel::joinable!(users -> clients (client_id));
diesel::joinable!(clients -> organizations (organization_id));
diesel::joinable!(client_competitors -> clients (client_id));
diesel::joinable!(client_competitors -> organizations (organization_id));
diesel::joinable!(shoppers -> users (user_id));
diesel::table! {
    assignments (id) {
        id -> BigInt,
        job_id -> BigInt,
        shopper_id -> BigInt,
        state -> Text,
        visit_on -> Nullable<Date>,
        visited_on -> Nullable<Date>,
        offer_expires_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assignment_events (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        state -> Text,
        actor_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    citations (id) {
        id -> BigInt,
        shopper_id -> BigInt,
        assignment_id -> Nullable<BigInt>,
        citation -> Text,
        note -> Nullable<Text>,
        cited_by -> Nullable<BigInt>,
        cited_on -> Date,
    }
}

diesel::table! {
    batches (id) {
        id -> BigInt,
        created_by -> BigInt,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    batch_items (id) {
        id -> BigInt,
        batch_id -> BigInt,
        job_id -> BigInt,
        shopper_id -> Nullable<BigInt>,
        metres -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    digests (user_id) {
        user_id -> BigInt,
        checked_on -> Date,
        last_sent_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(certifications -> shoppers (shopper_id));
diesel::joinable!(affiliations -> shoppers (shopper_id));
diesel::joinable!(affiliations -> organizations (organization_id));
diesel::joinable!(shopper_status_changes -> shoppers (shopper_id));
diesel::joinable!(ratings -> shoppers (shopper_id));
diesel::joinable!(consents -> users (user_id));
diesel::joinable!(locations -> clients (client_id));
diesel::joinable!(disqualifications -> shoppers (shopper_id));
diesel::joinable!(disqualifications -> clients (client_id));
diesel::joinable!(disqualifications -> locations (location_id));
diesel::joinable!(projects -> clients (client_id));
diesel::joinable!(jobs -> projects (project_id));
diesel::joinable!(jobs -> locations (location_id));
diesel::joinable!(assignments -> jobs (job_id));
diesel::joinable!(assignments -> shoppers (shopper_id));
diesel::joinable!(assignment_events -> assignments (assignment_id));
diesel::joinable!(citations -> shoppers (shopper_id));
diesel::joinable!(batch_items -> batches (batch_id));
diesel::joinable!(batch_items -> jobs (job_id));

diesel::table! {
    index_version (id) {
        id -> Integer,
        version -> BigInt,
        pruned_through -> BigInt,
    }
}

diesel::table! {
    index_changes (id) {
        id -> BigInt,
        kind -> Text,
        ref_id -> BigInt,
        version -> Nullable<BigInt>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    questionnaires (id) {
        id -> BigInt,
        project_id -> BigInt,
        version -> Integer,
        status -> Text,
        document -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reports (assignment_id) {
        assignment_id -> BigInt,
        questionnaire_id -> BigInt,
        answers -> Text,
        visit_started_at -> Nullable<Timestamp>,
        visit_ended_at -> Nullable<Timestamp>,
        receipt_cents -> Nullable<BigInt>,
        status -> Text,
        reopened_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        review -> Nullable<Text>,
        queued_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<BigInt>,
        claimed_until -> Nullable<Timestamp>,
        decided_by -> Nullable<BigInt>,
        revision_due -> Nullable<Timestamp>,
        revision_comments -> Nullable<Text>,
        appeal -> Nullable<Text>,
        released_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    review_events (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        action -> Text,
        actor_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_edits (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        question -> Text,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        reason -> Text,
        editor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        question -> Nullable<Text>,
        kind -> Text,
        content_hash -> Text,
        web_key -> Nullable<Text>,
        thumb_key -> Nullable<Text>,
        original_key -> Nullable<Text>,
        bytes -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        duration_ms -> Nullable<BigInt>,
        taken_at -> Nullable<Timestamp>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        created_at -> Timestamp,
        perceptual_hash -> Nullable<Text>,
    }
}

diesel::joinable!(media -> assignments (assignment_id));
diesel::joinable!(questionnaires -> projects (project_id));
diesel::joinable!(reports -> questionnaires (questionnaire_id));
diesel::joinable!(reports -> assignments (assignment_id));
diesel::joinable!(review_events -> assignments (assignment_id));
diesel::joinable!(report_edits -> assignments (assignment_id));

diesel::table! {
    disputes (assignment_id) {
        assignment_id -> BigInt,
        client_id -> BigInt,
        raised_by -> Nullable<BigInt>,
        reason -> Text,
        raised_at -> Timestamp,
        outcome -> Nullable<Text>,
        answer -> Nullable<Text>,
        answered_by -> Nullable<BigInt>,
        answered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payouts (id) {
        id -> BigInt,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        payees -> Integer,
        total_cents -> BigInt,
        paid_at -> Nullable<Timestamp>,
        paid_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    ledger_lines (id) {
        id -> BigInt,
        assignment_id -> BigInt,
        shopper_id -> BigInt,
        client_id -> BigInt,
        kind -> Text,
        amount_cents -> BigInt,
        state -> Text,
        note -> Nullable<Text>,
        earned_at -> Timestamp,
        approved_at -> Nullable<Timestamp>,
        payout_id -> Nullable<BigInt>,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    hot_alerts (assignment_id) {
        assignment_id -> BigInt,
        reasons -> Text,
        recipients -> Integer,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    shares (id) {
        id -> BigInt,
        organization_id -> BigInt,
        purpose -> Text,
        area -> Text,
        recipient_email -> Nullable<Text>,
        link_hash -> Nullable<Text>,
        link_expires_at -> Nullable<Timestamp>,
        downloaded_at -> Nullable<Timestamp>,
        people -> Integer,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    share_rows (share_id, shopper_id) {
        share_id -> BigInt,
        shopper_id -> BigInt,
        legal_name -> Text,
        street -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    privacy_requests (id) {
        id -> BigInt,
        kind -> Text,
        channel -> Text,
        subject_id -> Nullable<BigInt>,
        requester_email -> Text,
        requester_name -> Nullable<Text>,
        details -> Text,
        status -> Text,
        verification -> Text,
        matched_points -> Integer,
        declaration -> Bool,
        code_hash -> Nullable<Text>,
        code_expires_at -> Nullable<Timestamp>,
        code_tries -> Integer,
        received_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        due_at -> Timestamp,
        extended_at -> Nullable<Timestamp>,
        extension_reason -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        denial_reason -> Nullable<Text>,
        handled_by -> Nullable<BigInt>,
        corrections -> Nullable<Text>,
    }
}

diesel::table! {
    notice_versions (version) {
        version -> Text,
        published_at -> Timestamp,
        effective_at -> Timestamp,
        changes -> Text,
        adds -> Text,
        published_by -> BigInt,
    }
}

diesel::table! {
    notice_acceptances (user_id, version) {
        user_id -> BigInt,
        version -> Text,
        accepted_at -> Timestamp,
    }
}

diesel::table! {
    corrections (user_id, field) {
        user_id -> BigInt,
        field -> Text,
        corrected_at -> Timestamp,
        request_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    privacy_request_agents (request_id) {
        request_id -> BigInt,
        agent_id -> Nullable<Text>,
        agent_name -> Text,
        agent_email -> Nullable<Text>,
        authorisation_key -> Nullable<Text>,
        drp_id -> Nullable<Text>,
        agent_request_id -> Nullable<Text>,
        status_callback -> Nullable<Text>,
        message_hash -> Nullable<Text>,
        callback_due_at -> Nullable<Timestamp>,
        callback_attempts -> Integer,
    }
}

diesel::table! {
    drp_agents (id) {
        id -> Text,
        name -> Text,
        verify_key -> Text,
        callback_base -> Nullable<Text>,
        technical_contact -> Text,
        token_hash -> Nullable<Text>,
        token_issued_at -> Nullable<Timestamp>,
        last_pairing -> Nullable<Text>,
        registered_by -> BigInt,
        registered_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    privacy_request_events (id) {
        id -> BigInt,
        request_id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        what -> Text,
    }
}

diesel::joinable!(privacy_request_events -> privacy_requests (request_id));
diesel::joinable!(privacy_request_agents -> privacy_requests (request_id));
diesel::joinable!(notice_acceptances -> notice_versions (version));
diesel::joinable!(ledger_lines -> payouts (payout_id));
diesel::joinable!(ledger_lines -> shoppers (shopper_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    corrections,
    notice_versions,
    notice_acceptances,
    drp_agents,
    privacy_request_agents,
    sessions,
    refresh_tokens,
    one_time_tokens,
    attempts,
    mail_outbox,
    organizations,
    clients,
    client_competitors,
    shoppers,
    certifications,
    affiliations,
    shopper_status_changes,
    ratings,
    consents,
    access_records,
    locations,
    disqualifications,
    projects,
    jobs,
    disclosures,
    assignments,
    assignment_events,
    citations,
    batches,
    batch_items,
    digests,
    index_version,
    index_changes,
    questionnaires,
    reports,
    media,
    review_events,
    report_edits,
    disputes,
    payouts,
    ledger_lines,
    hot_alerts,
    shares,
    share_rows,
    privacy_requests,
    privacy_request_events,
);
