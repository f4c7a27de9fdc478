using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace DataTrust.Web.Pages;

[IgnoreAntiforgeryToken]
internal sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    public string TraceId => HttpContext.TraceIdentifier;

    public void OnGet(int? code) => Status = code is >= 400 and < 600 ? code.Value : StatusCodes.Status500InternalServerError;

    public void OnPost(int? code) => OnGet(code);
}
