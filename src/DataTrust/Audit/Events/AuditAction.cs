namespace DataTrust.Audit.Events;

/// <summary>
/// Every action the audit log knows, as <c>area.verb</c>. A capability that adds an effect adds its
/// constant here and a sealed <see cref="AuditEvent"/> record beside its use case.
/// </summary>
internal static class AuditAction
{
    // Accounts (sign-in)
    public const string SignedIn = "account.signed_in";
    public const string SignInFailed = "account.sign_in_failed";
    public const string SignedOut = "account.signed_out";
    public const string AccountSecurityChanged = "account.security_changed";

    // Consent
    public const string ConsentRequested = "consent.requested";
    public const string ConsentGranted = "consent.granted";
    public const string ConsentRefused = "consent.refused";
    public const string ConsentPaused = "consent.paused";
    public const string ConsentResumed = "consent.resumed";
    public const string ConsentRevoked = "consent.revoked";
    public const string ConsentExpired = "consent.expired";
    public const string ClientAccessDecided = "consent.client_access_decided";
    public const string ConsentDeletionConfirmed = "consent.deletion_confirmed";
    public const string StandingInstructionChanged = "consent.standing_instruction_changed";
    public const string DataRequestChanged = "recipient.data_request_changed";

    // OpenID provider: tokens issued, and replays that revoke a grant
    public const string TokenIssued = "token.issued";
    public const string AuthorizationCodeReplayed = "token.code_replayed";
    public const string RefreshTokenReused = "token.refresh_token_reused";
    public const string GrantRevokedByClient = "token.grant_revoked_by_client";

    // Brokering
    public const string DataReleased = "data.released";
    public const string DataReleaseRefused = "data.release_refused";
    public const string DataReleaseFailed = "data.release_failed";

    // Vault: residents' links to data providers, storage consent, records, erasure
    public const string ProviderLinked = "vault.provider_linked";
    public const string ProviderUnlinked = "vault.provider_unlinked";
    public const string StorageConsentGiven = "vault.storage_consent_given";
    public const string StorageConsentWithdrawn = "vault.storage_consent_withdrawn";
    public const string RecordDeposited = "vault.record_deposited";
    public const string RecordCorrected = "vault.record_corrected";
    public const string RecordDeleted = "vault.record_deleted";
    public const string RecordsExported = "vault.records_exported";
    public const string ResidentErased = "vault.resident_erased";

    // Data ethics review of recipients and purposes
    public const string RecipientReviewed = "recipient.reviewed";

    // Keys (vault, token and audit keys)
    public const string KeyCreated = "key.created";
    public const string KeyRotated = "key.rotated";
    public const string KeyRetired = "key.retired";
    public const string KeyDestroyed = "key.destroyed";

    // Operators' changes (clients, roles, settings)
    public const string AdminChanged = "admin.changed";

    // The audit log's own operations and the auditors' actions on it
    public const string AuditSearched = "audit.searched";
    public const string AuditEntryViewed = "audit.entry_viewed";
    public const string AuditVerified = "audit.verified";
    public const string AuditConsistencyRequested = "audit.consistency_requested";
    public const string AuditExported = "audit.exported";
    public const string AuditCheckpointSealed = "audit.checkpoint_sealed";
    public const string AuditSigningKeyCreated = "audit.signing_key_created";
    public const string AuditSigningKeyRotated = "audit.signing_key_rotated";
}
