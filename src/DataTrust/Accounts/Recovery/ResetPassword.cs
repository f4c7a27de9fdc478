using DataTrust.Audit;
using DataTrust.Persistence;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Recovery;

/// <summary>
/// Sets a new password from a reset link. The link works once (the security stamp changes), and
/// every other session of the account ends (ASVS V7.4.3).
/// </summary>
internal sealed class ResetPassword(UserManager<UserAccount> users, Sessions.EndSessions sessions, DataTrustDbContext db, IAuditLog audit)
{
    /// <summary>Null on success; otherwise Identity error codes ("InvalidToken" for a bad or used link).</summary>
    public async Task<IReadOnlyList<string>?> HandleAsync(string? userId, string? token, string newPassword)
    {
        if (!Guid.TryParse(userId, out var id) || MailedToken.Decode(token) is not { } decoded
            || await users.FindByIdAsync(id.ToString()) is not { } user)
        {
            return ["InvalidToken"];
        }

        var actor = AccountAudit.Actor(user.Id, await users.GetRolesAsync(user));
        var result = await AccountAudit.RunAsync(
            db,
            audit,
            r => r.Succeeded ? new AccountSecurityChanged(actor, AccountAudit.PasswordReset) : null,
            async () =>
            {
                var reset = await users.ResetPasswordAsync(user, decoded, newPassword);
                if (reset.Succeeded)
                {
                    await users.SetLockoutEndDateAsync(user, null);
                    await users.ResetAccessFailedCountAsync(user);
                    await sessions.EndAllInTransactionAsync(user);
                }

                return reset;
            },
            CancellationToken.None);
        return result.Succeeded ? null : result.Errors.Select(e => e.Code).ToList();
    }
}
