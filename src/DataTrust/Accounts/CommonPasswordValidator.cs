using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Identity;

namespace DataTrust.Accounts;

/// <summary>
/// Refuses passwords that attackers try first (ASVS 5.0 V6.2.4): the most common leaked passwords,
/// one character repeated, keyboard and number runs, and the person's own e-mail address.
/// The list is <c>common-passwords.txt</c>, embedded in the assembly.
/// </summary>
internal sealed class CommonPasswordValidator : IPasswordValidator<UserAccount>
{
    private static readonly FrozenSet<string> Common = Load();

    public Task<IdentityResult> ValidateAsync(UserManager<UserAccount> manager, UserAccount user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Task.FromResult(IdentityResult.Success); // the length rule reports it
        }

        var normalised = password.Trim().ToLowerInvariant();
        var refused = Common.Contains(normalised)
            || normalised.Distinct().Count() <= 3
            || IsRun(normalised)
            || ContainsAccountName(normalised, user);
        return Task.FromResult(refused
            ? IdentityResult.Failed(new IdentityError
            {
                Code = "CommonPassword",
                Description = "This password is too easy to guess: it is common, a simple run of characters, or contains your e-mail address.",
            })
            : IdentityResult.Success);
    }

    internal static bool IsCommon(string password) => Common.Contains(password.Trim().ToLowerInvariant());

    private static bool ContainsAccountName(string password, UserAccount user)
    {
        var local = user.Email?.Split('@')[0].ToLowerInvariant();
        return local is { Length: >= 4 } && password.Contains(local, StringComparison.Ordinal);
    }

    private const string Runs = "1234567890123456789 0987654321098765432 qwertyuiopqwertyuiop asdfghjklasdfghjkl zxcvbnmzxcvbnm abcdefghijklmnopqrstuvwxyz";

    /// <summary>A stretch of a keyboard row or of the alphabet or digits, or a short unit repeated ("abcabcabcabc").</summary>
    private static bool IsRun(string password)
    {
        if (Runs.Contains(password, StringComparison.Ordinal))
        {
            return true;
        }

        for (var unit = 1; unit <= 4 && unit < password.Length; unit++)
        {
            var repeated = true;
            for (var i = unit; i < password.Length && repeated; i++)
            {
                repeated = password[i] == password[i % unit];
            }

            if (repeated)
            {
                return true;
            }
        }

        return false;
    }

    private static FrozenSet<string> Load()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("DataTrust.Accounts.common-passwords.txt")
            ?? throw new InvalidOperationException("common-passwords.txt is not embedded");
        using var reader = new StreamReader(stream);
        var words = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                words.Add(line.Trim().ToLowerInvariant());
            }
        }

        return words.ToFrozenSet(StringComparer.Ordinal);
    }
}
