using MogileFS.Client;
using MogileFS.Tools.Common;

namespace MogileFS.Tools.Mogadm;

/// <summary><c>mogadm slave list|add|modify|delete</c> (read-slave databases kept in server settings).</summary>
internal static class SlaveCommands
{
    public static async Task<int> RunAsync(MogadmContext c)
    {
        using var admin = c.Admin();
        var key = c.Arg("slave_key");
        switch (c.Verb)
        {
            case "list":
                try
                {
                    foreach (var s in await admin.ListSlavesAsync(c.Cancel))
                        c.Out.Write($"{s.Key} --dsn={s.Dsn} --username={s.Username} --password={s.Password}\n");
                }
                catch (MogileFSException e) { throw MogadmContext.Fail("Slave list failed: " + e.Message); }
                return c.Ok();
            case "add":
                bool added;
                try { added = await admin.AddSlaveAsync(key!, c.Arg("dsn"), c.Arg("username"), c.Arg("password"), c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Slave failed to be added: " + e.Message); }
                if (!added) throw MogadmContext.Fail("Slave failed to be added");
                return c.Ok("Slave added");
            case "modify":
                if (string.IsNullOrEmpty(key)) throw c.HelpDie("Key argument is required");
                bool modified;
                try { modified = await admin.ModifySlaveAsync(key, c.Arg("dsn"), c.Arg("username"), c.Arg("password"), c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Slave modify failure: " + e.Message); }
                if (!modified) throw MogadmContext.Fail("Slave modify failure: no such slave");
                return c.Ok("Slave modify success");
            case "delete":
                bool deleted;
                try { deleted = await admin.DeleteSlaveAsync(key!, c.Cancel); }
                catch (MogileFSException e) { throw MogadmContext.Fail("Slave delete failed: " + e.Message); }
                if (!deleted) throw MogadmContext.Fail("Slave delete failed");
                return c.Ok("Slave deleted");
        }
        throw new UsageException(MogadmUsage.TopUsage());
    }
}
