using System.Globalization;

namespace DataTrust.Web.Localization;

/// <summary>
/// The portal speaks Japanese first and English second. Each piece of text is written in both
/// languages side by side where it is used, so a page reads complete in either language and a
/// missing translation cannot hide in a resource file.
/// </summary>
public static class Text
{
    public static readonly CultureInfo Japanese = CultureInfo.GetCultureInfo("ja");
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en");

    public static bool IsEnglish => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "en";

    /// <summary>The Japanese or the English text, by the request's UI culture.</summary>
    public static string T(string japanese, string english) => IsEnglish ? english : japanese;
}
