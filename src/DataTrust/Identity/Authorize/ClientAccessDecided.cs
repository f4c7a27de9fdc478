using System.Text.Json.Nodes;
using DataTrust.Audit.Events;

namespace DataTrust.Identity.Authorize;

/// <summary>
/// A resident allowed or declined a client's request to sign them in and read their account claims
/// (OAuth scopes). Purpose-bound data consents are separate events of the consent ledger.
/// </summary>
internal sealed record ClientAccessDecided(Guid Resident, Guid? GrantId, string ClientId, IReadOnlyList<string> Scopes, bool Allowed)
    : AuditEvent(AuditActor.Resident(Resident))
{
    public override string Action => AuditAction.ClientAccessDecided;

    public override Guid? Subject => Resident;

    public override string? Recipient => ClientId;

    public override Guid? Consent => GrantId;

    public override JsonObject Details() => new()
    {
        ["decision"] = Allowed ? "allowed" : "declined",
        ["scopes"] = new JsonArray([.. Scopes.Select(s => (JsonNode?)JsonValue.Create(s))]),
    };
}
