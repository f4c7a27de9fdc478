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
    Granted,
    Paused,
    Resumed,
    Revoked,
    Expired,
}

/// <summary>A consent changed state. <paramref name="Purpose"/> is the purpose's id in the policy (a DPV-mapped code, not free text).</summary>
internal sealed record ConsentChanged(AuditActor Actor, Guid Resident, Guid ConsentId, string RecipientId, string Purpose, ConsentChange Change)
    : AuditEvent(Actor)
{
    public override string Action => Change switch
    {
        ConsentChange.Granted => AuditAction.ConsentGranted,
        ConsentChange.Paused => AuditAction.ConsentPaused,
        ConsentChange.Resumed => AuditAction.ConsentResumed,
        ConsentChange.Revoked => AuditAction.ConsentRevoked,
        ConsentChange.Expired => AuditAction.ConsentExpired,
        _ => throw new InvalidOperationException($"Unknown consent change {Change}."),
    };

    public override Guid? Subject => Resident;

    public override string? Recipient => RecipientId;

    public override Guid? Consent => ConsentId;

    public override JsonObject Details() => new() { ["purpose"] = Purpose };
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

/// <summary>The ethics board decided on a recipient's purpose: <paramref name="Decision"/> is <c>approved</c>, <c>rejected</c> or <c>suspended</c>.</summary>
internal sealed record RecipientReviewed(AuditActor Actor, string RecipientId, string Purpose, string Decision) : AuditEvent(Actor)
{
    public override string Action => AuditAction.RecipientReviewed;

    public override string? Recipient => RecipientId;

    public override JsonObject Details() => new() { ["purpose"] = Purpose, ["decision"] = Decision };
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
