using System.Text.Json.Nodes;

namespace DataTrust.Audit.Events;

// The events other capabilities record. Each names only ids, enumerations and counts; the fields are
// the contract between a capability and the audit log, so change them together with their use case.

/// <summary>A person signed in. <paramref name="Method"/> is e.g. <c>password+totp</c> or <c>passkey</c>.</summary>
internal sealed record SignedIn(AuditActor Actor, string Method) : AuditEvent(Actor)
{
    public override string Action => AuditAction.SignedIn;

    public override Guid? Subject => Actor.UserId;

    public override JsonObject Details() => new() { ["method"] = Method };
}

/// <summary>A sign-in was refused. <paramref name="Account"/> is set when the name matched an account; <paramref name="Reason"/> is a code such as <c>bad_password</c> or <c>locked_out</c>.</summary>
internal sealed record SignInFailed(Guid? Account, string Reason) : AuditEvent(AuditActor.Anonymous)
{
    public override string Action => AuditAction.SignInFailed;

    public override Guid? Subject => Account;

    public override JsonObject Details() => new() { ["reason"] = Reason };
}

internal sealed record SignedOut(AuditActor Actor) : AuditEvent(Actor)
{
    public override string Action => AuditAction.SignedOut;

    public override Guid? Subject => Actor.UserId;
}

internal enum ConsentChange
{
    Requested,
    Granted,
    Refused,
    Paused,
    Resumed,
    Revoked,
    Expired,
}

/// <summary>
/// A consent changed state. <paramref name="Purpose"/> is the purpose's id in the policy (a DPV-mapped code, not free text);
/// <paramref name="Version"/> the consent version the change produced; <paramref name="DecidedBy"/> names a standing
/// instruction (<c>rule &lt;id&gt;</c>) when one decided instead of the resident at that moment.
/// </summary>
internal sealed record ConsentChanged(
    AuditActor Actor, Guid Resident, Guid ConsentId, string RecipientId, string Purpose, ConsentChange Change, int? Version = null, string? DecidedBy = null)
    : AuditEvent(Actor)
{
    public override string Action => Change switch
    {
        ConsentChange.Requested => AuditAction.ConsentRequested,
        ConsentChange.Granted => AuditAction.ConsentGranted,
        ConsentChange.Refused => AuditAction.ConsentRefused,
        ConsentChange.Paused => AuditAction.ConsentPaused,
        ConsentChange.Resumed => AuditAction.ConsentResumed,
        ConsentChange.Revoked => AuditAction.ConsentRevoked,
        ConsentChange.Expired => AuditAction.ConsentExpired,
        _ => throw new InvalidOperationException($"Unknown consent change {Change}."),
    };

    public override Guid? Subject => Resident;

    public override string? Recipient => RecipientId;

    public override Guid? Consent => ConsentId;

    public override JsonObject Details()
    {
        var details = new JsonObject { ["purpose"] = Purpose };
        if (Version is { } version)
        {
            details["version"] = version;
        }

        if (DecidedBy is not null)
        {
            details["decidedBy"] = DecidedBy;
        }

        return details;
    }
}

/// <summary>Data left the vault for a recipient under a consent: which categories and fields, never their values.</summary>
internal sealed record DataReleased(
    AuditActor Actor,
    Guid Resident,
    Guid ConsentId,
    string RecipientId,
    string Purpose,
    Guid ReleaseId,
    IReadOnlyList<string> Categories,
    IReadOnlyList<string> Fields) : AuditEvent(Actor)
{
    public override string Action => AuditAction.DataReleased;

    public override Guid? Subject => Resident;

    public override string? Recipient => RecipientId;

    public override Guid? Consent => ConsentId;

    public override IReadOnlyList<AuditObject> Objects => [new("release", ReleaseId.ToString("D"))];

    public override JsonObject Details() => new()
    {
        ["purpose"] = Purpose,
        ["categories"] = new JsonArray(Categories.Select(c => (JsonNode?)c).ToArray()),
        ["fields"] = new JsonArray(Fields.Select(f => (JsonNode?)f).ToArray()),
    };
}

/// <summary>A release was refused; <paramref name="Reason"/> is a code such as <c>no_live_consent</c> or <c>frequency_exceeded</c>.</summary>
internal sealed record DataReleaseRefused(AuditActor Actor, Guid Resident, string RecipientId, string Purpose, string Reason) : AuditEvent(Actor)
{
    public override string Action => AuditAction.DataReleaseRefused;

    public override Guid? Subject => Resident;

    public override string? Recipient => RecipientId;

    public override JsonObject Details() => new() { ["purpose"] = Purpose, ["reason"] = Reason };
}

/// <summary>
/// A release that was allowed but could not be prepared, because one of the resident's records did not decrypt
/// (tampered with at rest, or its key lost): nothing was sent or counted. The reason stays generic, as the vault's error does.
/// </summary>
internal sealed record DataReleaseFailed(AuditActor Actor, Guid Resident, Guid ConsentId, string RecipientId, string Purpose) : AuditEvent(Actor)
{
    public const string RecordUnreadable = "vault_record_unreadable";

    public override string Action => AuditAction.DataReleaseFailed;

    public override Guid? Subject => Resident;

    public override string? Recipient => RecipientId;

    public override Guid? Consent => ConsentId;

    public override JsonObject Details() => new() { ["purpose"] = Purpose, ["reason"] = RecordUnreadable };
}

/// <summary>
/// The ethics board decided on a recipient, or on one of its data requests for a purpose:
/// <paramref name="Decision"/> is <c>approved</c>, <c>rejected</c>, <c>suspended</c> or <c>reinstated</c>.
/// <paramref name="Purpose"/> is null for a decision on the recipient itself; <paramref name="Criteria"/>
/// lists the recipient criteria checked; <paramref name="DataRequestId"/> names the data request decided on.
/// </summary>
internal sealed record RecipientReviewed(
    AuditActor Actor, string RecipientId, string? Purpose, string Decision, IReadOnlyList<string>? Criteria = null, Guid? DataRequestId = null, bool? SensitiveDataApproved = null)
    : AuditEvent(Actor)
{
    public override string Action => AuditAction.RecipientReviewed;

    public override string? Recipient => RecipientId;

    public override IReadOnlyList<AuditObject> Objects => DataRequestId is { } id ? [new("data-request", id.ToString("D"))] : [];

    public override JsonObject Details()
    {
        var details = new JsonObject { ["decision"] = Decision };
        if (Purpose is not null)
        {
            details["purpose"] = Purpose;
        }

        if (Criteria is not null)
        {
            details["criteria"] = new JsonArray(Criteria.Select(c => (JsonNode?)c).ToArray());
        }

        if (SensitiveDataApproved is { } sensitive)
        {
            details["sensitiveDataApproved"] = sensitive;
        }

        return details;
    }
}

internal enum KeyOperationKind
{
    Created,
    Rotated,
    Retired,
    Destroyed,
}

/// <summary>A key was created, rotated, retired or destroyed. <paramref name="KeyKind"/> is e.g. <c>vault-kek</c>, <c>token-signing</c>, <c>resident-data-key</c>.</summary>
internal sealed record KeyOperation(AuditActor Actor, string KeyKind, string KeyId, KeyOperationKind Operation, Guid? Resident = null) : AuditEvent(Actor)
{
    public override string Action => Operation switch
    {
        KeyOperationKind.Created => AuditAction.KeyCreated,
        KeyOperationKind.Rotated => AuditAction.KeyRotated,
        KeyOperationKind.Retired => AuditAction.KeyRetired,
        KeyOperationKind.Destroyed => AuditAction.KeyDestroyed,
        _ => throw new InvalidOperationException($"Unknown key operation {Operation}."),
    };

    public override Guid? Subject => Resident;

    public override IReadOnlyList<AuditObject> Objects => [new("key", KeyId)];

    public override JsonObject Details() => new() { ["keyKind"] = KeyKind };
}

/// <summary>An operator changed something: <paramref name="Operation"/> is a code such as <c>client.registered</c> or <c>role.granted</c>.</summary>
internal sealed record AdminChanged(AuditActor Actor, string Operation, AuditObject Target, Guid? AffectedPerson = null) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AdminChanged;

    public override Guid? Subject => AffectedPerson;

    public override IReadOnlyList<AuditObject> Objects => [Target];

    public override JsonObject Details() => new() { ["operation"] = Operation };
}
