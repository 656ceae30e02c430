using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm domain list|add|delete</c> and <c>mogadm class list|add|modify|delete</c>.</summary>
internal static class DomainClassCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        switch ((c.TopCommand, c.Verb))
        {
            case (_, "list"):
            {
                IReadOnlyDictionary<string, DomainInfo> domains;
                try { domains = await admin.GetDomainsAsync(c.Cancel); }
                catch (MogileFSException e) { throw MogadmProgram.FailText("no_domains", e); }
                c.Out.Write($" {"domain",-20} {"class",-20} {"mindevcount",-12}  {"replpolicy",-12} {"hashtype",-7}\n");
                c.Out.Write($"{new string('-', 20),-20} {new string('-', 20),-20} {new string('-', 13),-12} {new string('-', 12),-12} {new string('-', 7),-7}\n");
                foreach (var d in domains.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
                {
                    foreach (var cl in d.Classes.Values.OrderBy(x => x.Name, StringComparer.Ordinal))
                        c.Out.Write($" {d.Name,-20} {cl.Name,-20}      {cl.MinDevCount,-8} {cl.ReplPolicy,-13} {cl.HashType,-7}\n");
                    c.Out.Write("\n");
                }
                return c.Ok();
            }
            case ("domain", "add"):
                try { await admin.CreateDomainAsync(c.Arg("domain")!, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Error creating domain: " + e.Message); }
                return c.Ok("Domain created.");
            case ("domain", "delete"):
                try { await admin.DeleteDomainAsync(c.Arg("domain")!, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Error deleting domain: " + e.Message); }
                return c.Ok("Domain deleted.");
            case ("class", "add"):
            case ("class", "modify"):
            {
                var domain = c.Arg("domain"); var cls = c.Arg("class");
                if (string.IsNullOrEmpty(domain) || string.IsNullOrEmpty(cls) || domain == "0" || cls == "0") throw c.HelpDie();
                // As 2.30: mindevcount defaults to 2 and replpolicy to '' (= keep) when not given.
                int min = int.TryParse(c.Arg("mindevcount"), out var m) && m != 0 ? m : 2;
                var policy = c.Arg("replpolicy") ?? "";
                try
                {
                    if (c.Verb == "add") await admin.CreateClassAsync(domain, cls, min, policy, c.Arg("hashtype"), c.Cancel);
                    else await admin.UpdateClassAsync(domain, cls, min, policy, c.Arg("hashtype"), c.Cancel);
                }
                catch (MogileFSException e)
                {
                    throw MogadmContext.Fail((c.Verb == "add" ? "Error creating class: " : "Error updating class: ") + e.Message);
                }
                return c.Ok(c.Verb == "add" ? "Class created." : "Class updated.");
            }
            case ("class", "delete"):
            {
                var domain = c.Arg("domain"); var cls = c.Arg("class");
                if (string.IsNullOrEmpty(domain) || string.IsNullOrEmpty(cls)) throw c.HelpDie();
                try { await admin.DeleteClassAsync(domain, cls, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Error deleting class: " + e.Message); }
                return c.Ok("Class deleted.");
            }
        }
        throw new UsageException(MogadmUsage.TopUsage());
    }
}
