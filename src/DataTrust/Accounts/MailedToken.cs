using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace DataTrust.Accounts;

/// <summary>Identity's confirmation and reset tokens, made safe to carry in a mailed link's query string.</summary>
internal static class MailedToken
{
    private const int MaxLength = 2048;

    public static string Encode(string token) => WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));

    /// <summary>The token, or null when the link's value is missing, too long or not base64url.</summary>
    public static string? Decode(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return null;
        }

        try
        {
            return Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(value));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
