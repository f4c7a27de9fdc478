using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DataTrust.Accounts.Sessions;

/// <summary>The person's own sessions: list them, end one, or end all of them.</summary>
public sealed class EndSessions(IDbContextFactory<DataTrustDbContext> contexts, UserManager<UserAccount> users)
{
    public async Task<IReadOnlyList<UserSession>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var sessions = await db.Set<UserSession>().AsNoTracking().Where(s => s.UserId == userId).ToListAsync(cancellationToken);
        return sessions.OrderByDescending(s => s.LastSeenAt).ToList();
    }

    /// <summary>Ends one session of this person; false when it is not theirs or no longer exists.</summary>
    public async Task<bool> EndAsync(Guid userId, Guid sessionId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Set<UserSession>().Where(s => s.Id == sessionId && s.UserId == userId).ExecuteDeleteAsync(cancellationToken) == 1;
    }

    /// <summary>Ends every session, and changes the security stamp so no older cookie or token survives.</summary>
    public async Task EndAllAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            await db.Set<UserSession>().Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        }

        if (await users.FindByIdAsync(userId.ToString()) is { } user)
        {
            await users.UpdateSecurityStampAsync(user);
        }
    }
}
