using System.Security.Claims;
using System.Text.Json.Nodes;
using DataTrust.Audit;
using DataTrust.Audit.Events;
using DataTrust.Persistence;

namespace DataTrust.Accounts;

/// <summary>A person changed how their account is protected or reached (names only the operation).</summary>
internal sealed record AccountSecurityChanged(AuditActor Actor, string Operation) : AuditEvent(Actor)
{
    public override string Action => AuditAction.AccountSecurityChanged;

    public override Guid? Subject => Actor.UserId;

    public override JsonObject Details() => new() { ["operation"] = Operation };
}

/// <summary>Runs an account change and its audit entry in one transaction: both commit, or neither.</summary>
internal static class AccountAudit
{
    public const string Registered = "account.registered";
    public const string EmailConfirmed = "email.confirmed";
    public const string PasswordReset = "password.reset";
    public const string TwoFactorEnabled = "two_factor.enabled";
    public const string TwoFactorDisabled = "two_factor.disabled";
    public const string PasskeyAdded = "passkey.added";
    public const string PasskeyRemoved = "passkey.removed";
    public const string SessionEnded = "session.ended";
    public const string AllSessionsEnded = "sessions.ended_all";

    /// <summary>The person as the audit log names them: by the strongest role they hold.</summary>
    public static AuditActor Actor(Guid userId, IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        return held.Contains(Roles.Operator) ? AuditActor.Operator(userId)
            : held.Contains(Roles.Auditor) ? AuditActor.Auditor(userId)
            : AuditActor.Resident(userId);
    }

    public static AuditActor Actor(ClaimsPrincipal principal) =>
        Actor(Guid.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier)!), principal.FindAll(ClaimTypes.Role).Select(c => c.Value));

    /// <summary>Runs <paramref name="effect"/>; when it reports success, appends the event and commits, otherwise rolls back.</summary>
    public static async Task<T> RunAsync<T>(
        DataTrustDbContext db, IAuditLog audit, Func<T, AuditEvent?> auditEvent, Func<Task<T>> effect, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await effect();
        if (auditEvent(result) is { } entry)
        {
            await audit.AppendAsync(db, entry, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return result;
    }
}
