using System.Globalization;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace DataTrust.Persistence;

/// <summary>Stores an instant as <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>, which sorts like time.</summary>
internal sealed class UtcTextConverter() : ValueConverter<DateTimeOffset, string>(
    value => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture),
    text => DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal))
{
    internal const string Format = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
}
