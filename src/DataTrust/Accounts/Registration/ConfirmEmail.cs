using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;

namespace DataTrust.Accounts.Registration;

/// <summary>Following the mailed link confirms the address, which is what lets the account sign in.</summary>
public sealed class ConfirmEmail(UserManager<UserAccount> users)
{
    public async Task<bool> HandleAsync(string? userId, string? token)
    {
        if (!Guid.TryParse(userId, out var id) || string.IsNullOrEmpty(token) || token.Length > 2048)
        {
            return false;
        }

        var user = await users.FindByIdAsync(id.ToString());
        if (user is null)
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = System.Text.Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(token));
        }
        catch (FormatException)
        {
            return false;
        }

        return (await users.ConfirmEmailAsync(user, decoded)).Succeeded;
    }
}
