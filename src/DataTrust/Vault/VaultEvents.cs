using System.Text.Json.Nodes;
using DataTrust.Audit.Events;

namespace DataTrust.Vault;

// The vault's audit events: ids, category ids and counts only, never a record's values.

/// <summary>A resident linked a data provider (<paramref name="Linked"/>) or removed the link.</summary>
internal sealed record ProviderLinkChanged(AuditActor Actor, Guid Resident, string ProviderId, Guid Link, bool Linked) : AuditEvent(Actor)
{
    public override string Action => Linked ? AuditAction.ProviderLinked : AuditAction.ProviderUnlinked;

    public override Guid? Subject => Resident;

    public override string? Recipient => ProviderId;

    public override IReadOnlyList<AuditObject> Objects => [new("provider-link", Link.ToString("D"))];
}

/// <summary>A resident gave or withdrew consent to a provider storing one category of their data in the vault.</summary>
internal sealed record StorageConsentChanged(AuditActor Actor, Guid Resident, string ProviderId, Guid Link, string Category, bool Given, int Version)
    : AuditEvent(Actor)
{
    public override string Action => Given ? AuditAction.StorageConsentGiven : AuditAction.StorageConsentWithdrawn;

    public override Guid? Subject => Resident;

    public override string? Recipient => ProviderId;

    public override IReadOnlyList<AuditObject> Objects => [new("provider-link", Link.ToString("D"))];

    public override JsonObject Details() => new() { ["category"] = Category, ["version"] = Version };
}

/// <summary>A provider deposited a record under the resident's storage consent.</summary>
internal sealed record RecordDeposited(AuditActor Actor, Guid Resident, Guid RecordId, string Category, string ProviderId) : AuditEvent(Actor)
{
    public override string Action => AuditAction.RecordDeposited;

    public override Guid? Subject => Resident;

    public override string? Recipient => ProviderId;

    public override IReadOnlyList<AuditObject> Objects => [new("record", RecordId.ToString("D"))];

    public override JsonObject Details() => new() { ["category"] = Category };
}

/// <summary>The resident corrected a record: which fields changed, never their values.</summary>
internal sealed record RecordCorrected(AuditActor Actor, Guid Resident, Guid RecordId, string Category, IReadOnlyList<string> Fields) : AuditEvent(Actor)
{
    public override string Action => AuditAction.RecordCorrected;

    public override Guid? Subject => Resident;

    public override IReadOnlyList<AuditObject> Objects => [new("record", RecordId.ToString("D"))];

    public override JsonObject Details() => new()
    {
        ["category"] = Category,
        ["fields"] = new JsonArray([.. Fields.Select(f => (JsonNode?)f)]),
    };
}

/// <summary>A record was deleted: <paramref name="Reason"/> is <c>resident</c> (the resident deleted it) or <c>retention</c> (its category's retention ran out).</summary>
internal sealed record RecordDeleted(AuditActor Actor, Guid Resident, Guid RecordId, string Category, string Reason) : AuditEvent(Actor)
{
    public const string ByResident = "resident";
    public const string ByRetention = "retention";

    public override string Action => AuditAction.RecordDeleted;

    public override Guid? Subject => Resident;

    public override IReadOnlyList<AuditObject> Objects => [new("record", RecordId.ToString("D"))];

    public override JsonObject Details() => new() { ["category"] = Category, ["reason"] = Reason };
}

/// <summary>The resident downloaded everything the vault holds about them.</summary>
internal sealed record RecordsExported(AuditActor Actor, Guid Resident, int Records) : AuditEvent(Actor)
{
    public override string Action => AuditAction.RecordsExported;

    public override Guid? Subject => Resident;

    public override JsonObject Details() => new() { ["records"] = Records };
}

/// <summary>A resident's account was erased: data keys destroyed (crypto-shredding), records, links and account deleted.</summary>
internal sealed record ResidentErased(AuditActor Actor, Guid Resident, Guid ErasureId, int DataKeysDestroyed, int RecordsDeleted, int Links) : AuditEvent(Actor)
{
    public override string Action => AuditAction.ResidentErased;

    public override Guid? Subject => Resident;

    public override IReadOnlyList<AuditObject> Objects => [new("erasure", ErasureId.ToString("D"))];

    public override JsonObject Details() => new()
    {
        ["dataKeysDestroyed"] = DataKeysDestroyed,
        ["recordsDeleted"] = RecordsDeleted,
        ["providerLinks"] = Links,
    };
}
