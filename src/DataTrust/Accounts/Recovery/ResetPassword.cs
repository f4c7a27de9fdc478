using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Recovery;

/// <summary>
/// Sets a new password from a reset link. The link works once (the security stamp changes), and
/// every other session of the account ends (ASVS V7.4.3).
/// </summary>
public sealed class ResetPassword(UserManager<UserAccount> users, Sessions.EndSessions sessions)
{
    /// <summary>Null on success; otherwise Identity error codes ("InvalidToken" for a bad or used link).</summary>
    public async Task<IReadOnlyList<string>?> HandleAsync(string? userId, string? token, string newPassword)
    {
        if (!Guid.TryParse(userId, out var id) || MailedToken.Decode(token) is not { } decoded
            || await users.FindByIdAsync(id.ToString()) is not { } user)
        {
            return ["InvalidToken"];
        }

        var result = await users.ResetPasswordAsync(user, decoded, newPassword);
        if (!result.Succeeded)
        {
            return result.Errors.Select(e => e.Code).ToList();
        }

        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await sessions.EndAllAsync(user.Id, CancellationToken.None);
        return null;
    }
}
