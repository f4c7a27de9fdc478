using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.Registration;

/// <summary>Following the mailed link confirms the address, which is what lets the account sign in.</summary>
public sealed class ConfirmEmail(UserManager<UserAccount> users)
{
    public async Task<bool> HandleAsync(string? userId, string? token) =>
        Guid.TryParse(userId, out var id)
        && MailedToken.Decode(token) is { } decoded
        && await users.FindByIdAsync(id.ToString()) is { } user
        && (await users.ConfirmEmailAsync(user, decoded)).Succeeded;
}
