using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts.TwoFactor;

/// <summary>
/// The authenticator-app token provider. Unlike Identity's own, a code is accepted only once
/// (ASVS 5.0 V6.5.1): the last accepted time step is kept with the account and no code at or before
/// it is accepted again. One step either side of now is allowed for clock drift.
/// </summary>
internal sealed class SingleUseTotpProvider(TimeProvider clock) : IUserTwoFactorTokenProvider<UserAccount>
{
    public const string Name = "DataTrustTotp";
    private const string LastStepToken = "LastTotpStep";

    public async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<UserAccount> manager, UserAccount user) =>
        !string.IsNullOrEmpty(await manager.GetAuthenticatorKeyAsync(user));

    public Task<string> GenerateAsync(string purpose, UserManager<UserAccount> manager, UserAccount user) =>
        Task.FromResult(""); // the code comes from the person's app, never from the server

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<UserAccount> manager, UserAccount user)
    {
        var code = token.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        if (code.Length != 6 || !code.All(char.IsAsciiDigit)
            || Totp.DecodeBase32(await manager.GetAuthenticatorKeyAsync(user) ?? "") is not { Length: > 0 } key)
        {
            return false;
        }

        var now = Totp.StepAt(clock.GetUtcNow());
        var last = long.TryParse(await manager.GetAuthenticationTokenAsync(user, Name, LastStepToken), CultureInfo.InvariantCulture, out var step) ? step : long.MinValue;
        for (var candidate = now - 1; candidate <= now + 1; candidate++)
        {
            if (candidate > last && CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.ASCII.GetBytes(Totp.Code(key, candidate)), System.Text.Encoding.ASCII.GetBytes(code)))
            {
                await manager.SetAuthenticationTokenAsync(user, Name, LastStepToken, candidate.ToString(CultureInfo.InvariantCulture));
                return true;
            }
        }

        return false;
    }
}
