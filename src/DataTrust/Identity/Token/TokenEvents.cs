using System.Text.Json.Nodes;
using DataTrust.Audit.Events;

namespace DataTrust.Identity.Token;

/// <summary>
/// The token endpoint issued tokens: to which client, by which grant type, under which grant and for
/// which resident (pseudonymised by the log). Never the tokens themselves.
/// </summary>
internal sealed record TokenIssued(string ClientId, string GrantType, Guid? GrantId, Guid? Resident)
    : AuditEvent(AuditActor.Client(ClientId))
{
    public override string Action => AuditAction.TokenIssued;

    public override Guid? Subject => Resident;

    public override string? Recipient => ClientId;

    public override Guid? Consent => GrantId;

    public override JsonObject Details() => new() { ["grant_type"] = GrantType };
}

/// <summary>Which single-use credential came back a second time.</summary>
internal enum ReplayKind
{
    AuthorizationCode,
    RefreshToken,
}

/// <summary>
/// A used authorization code or a rotated refresh token was presented again (RFC 9700 §4.5, §4.14.2):
/// the grant is revoked. <paramref name="GrantRevoked"/> is false when an earlier replay had already revoked it.
/// </summary>
internal sealed record CredentialReplayed(string ClientId, ReplayKind Kind, Guid GrantId, Guid Resident, bool GrantRevoked)
    : AuditEvent(AuditActor.Client(ClientId))
{
    public override string Action => Kind == ReplayKind.AuthorizationCode ? AuditAction.AuthorizationCodeReplayed : AuditAction.RefreshTokenReused;

    public override Guid? Subject => Resident;

    public override string? Recipient => ClientId;

    public override Guid? Consent => GrantId;

    public override JsonObject Details() => new() { ["grant_revoked"] = GrantRevoked };
}
