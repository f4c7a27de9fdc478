using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DataTrust.Persistence;

internal static class SpaceSeparatedConversion
{
    /// <summary>
    /// Stores a list of tokens that never contain spaces (URIs, grant types, scopes) as one
    /// space-separated text column, the way OAuth itself writes such lists.
    /// </summary>
    public static PropertyBuilder<List<string>> HasSpaceSeparatedConversion(this PropertyBuilder<List<string>> property) =>
        property.HasConversion(
            list => string.Join(' ', list),
            text => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList(),
            new ValueComparer<List<string>>(
                (a, b) => a!.SequenceEqual(b!),
                list => list.Aggregate(0, (hash, item) => HashCode.Combine(hash, item.GetHashCode(StringComparison.Ordinal))),
                list => list.ToList()));
}
