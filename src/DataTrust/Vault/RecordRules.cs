using System.Buffers;
using System.Text.Json;
using DataTrust.Vault.Storage;

namespace DataTrust.Vault;

/// <summary>What a record must look like before it is encrypted. Messages never quote the payload.</summary>
internal static class RecordRules
{
    private static readonly SearchValues<char> CategoryCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/");

    public static void CheckCategoryId(string categoryId)
    {
        if (string.IsNullOrEmpty(categoryId) || categoryId.Length > VaultRecordConfiguration.MaxCategoryIdLength ||
            categoryId.AsSpan().ContainsAnyExcept(CategoryCharacters))
        {
            throw new ArgumentException(
                $"A category id is 1 to {VaultRecordConfiguration.MaxCategoryIdLength} characters of letters, digits and . _ - : /.", nameof(categoryId));
        }
    }

    public static void CheckSchemaVersion(int schemaVersion) => ArgumentOutOfRangeException.ThrowIfLessThan(schemaVersion, 1);

    /// <summary>One JSON object and nothing after it. The reader's own message is dropped: it can quote payload bytes.</summary>
    public static void CheckJsonObject(ReadOnlySpan<byte> utf8Json)
    {
        var valid = false;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                reader.Skip();
                valid = !reader.Read();
            }
        }
        catch (JsonException)
        {
            valid = false;
        }

        if (!valid)
        {
            throw new ArgumentException("A record payload must be one well-formed JSON object.", nameof(utf8Json));
        }
    }
}
