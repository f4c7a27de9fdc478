using Npgsql;

namespace DataTrust.Identity.Clients;

/// <summary>
/// A <see cref="Client"/> read straight from a PostgreSQL row, for the queries that run on every request
/// (client authentication, access-token liveness), where EF's materialiser cost more CPU than the query.
/// The columns and conversions are those of <see cref="ClientConfiguration"/>; the tests run every client
/// path on both providers, so a mismatch shows there.
/// </summary>
internal static class ClientRows
{
    /// <summary>Every column of <c>clients</c>, qualified by <c>c</c>, in the order <see cref="Read"/> expects.</summary>
    public const string Columns = "c.id, c.client_id, c.display_name, c.kind, c.token_endpoint_auth_method, c.secret_hash, c.jwks, c.redirect_uris, " +
                                  "c.post_logout_redirect_uris, c.grant_types, c.scopes, c.id_token_signed_response_alg, c.sector_identifier, " +
                                  "c.high_assurance, c.enabled, c.created_at, " + VersionColumn;

    /// <summary>The row's <see cref="Client.ReadVersion"/>: <c>xmin</c>, as a number.</summary>
    public const string VersionColumn = "c.xmin::text::bigint";

    /// <summary>The client whose <see cref="Columns"/> start at <paramref name="first"/>; null when they are null (an outer join found none).</summary>
    public static Client? Read(NpgsqlDataReader reader, int first)
    {
        if (reader.IsDBNull(first))
        {
            return null;
        }

        return new Client
        {
            Id = reader.GetGuid(first),
            ClientId = reader.GetString(first + 1),
            DisplayName = reader.GetString(first + 2),
            Kind = Enum.Parse<ClientKind>(reader.GetString(first + 3)),
            TokenEndpointAuthMethod = reader.GetString(first + 4),
            SecretHash = Text(reader, first + 5),
            Jwks = Text(reader, first + 6),
            RedirectUris = List(reader, first + 7),
            PostLogoutRedirectUris = List(reader, first + 8),
            GrantTypes = List(reader, first + 9),
            Scopes = List(reader, first + 10),
            IdTokenSignedResponseAlg = Text(reader, first + 11),
            SectorIdentifier = Text(reader, first + 12),
            HighAssurance = reader.GetBoolean(first + 13),
            Enabled = reader.GetBoolean(first + 14),
            CreatedAt = reader.GetFieldValue<DateTimeOffset>(first + 15),
            ReadVersion = reader.GetInt64(first + 16),
        };
    }

    internal static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>A space-separated list column (<c>HasSpaceSeparatedConversion</c>).</summary>
    internal static List<string> List(NpgsqlDataReader reader, int ordinal) => [.. reader.GetString(ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries)];
}
