using System.Security.Claims;
using DataTrust.Audit;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Accounts.Sessions;

/// <summary>The person's own sessions: list them, end one, or end all of them; each end is audited.</summary>
internal sealed class EndSessions(DataTrustDbContext db, UserManager<UserAccount> users, IAuditLog audit)
{
    public async Task<IReadOnlyList<UserSession>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        var sessions = await db.Set<UserSession>().AsNoTracking().Where(s => s.UserId == userId).ToListAsync(cancellationToken);
        return sessions.OrderByDescending(s => s.LastSeenAt).ToList();
    }

    /// <summary>Ends one session of this person; false when it is not theirs or no longer exists.</summary>
    public Task<bool> EndAsync(ClaimsPrincipal person, Guid sessionId, CancellationToken cancellationToken)
    {
        var actor = AccountAudit.Actor(person);
        return AccountAudit.RunAsync(
            db,
            audit,
            ended => ended ? new AccountSecurityChanged(actor, AccountAudit.SessionEnded) : null,
            async () => await db.Set<UserSession>().Where(s => s.Id == sessionId && s.UserId == actor.UserId).ExecuteDeleteAsync(cancellationToken) == 1,
            cancellationToken);
    }

    /// <summary>Ends every session, and changes the security stamp so no older cookie survives.</summary>
    public async Task EndAllAsync(ClaimsPrincipal person, CancellationToken cancellationToken)
    {
        if (await users.GetUserAsync(person) is not { } user)
        {
            return;
        }

        await AccountAudit.RunAsync(
            db,
            audit,
            _ => new AccountSecurityChanged(AccountAudit.Actor(person), AccountAudit.AllSessionsEnded),
            async () =>
            {
                await EndAllInTransactionAsync(user);
                return true;
            },
            cancellationToken);
    }

    /// <summary>The effect alone, for a caller that already holds the transaction and records its own event.</summary>
    internal async Task EndAllInTransactionAsync(UserAccount user)
    {
        await db.Set<UserSession>().Where(s => s.UserId == user.Id).ExecuteDeleteAsync();
        await users.UpdateSecurityStampAsync(user);
    }
}
