#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Backup-AmsDatabase, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Backup-AmsDatabase' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a Medium impact change with -Path as an alias of -Out' {
        Get-AmsConfirmImpact Backup-AmsDatabase | Should -BeExactly 'Medium'
        (Get-Command Backup-AmsDatabase).Parameters['Out'].Aliases | Should -Contain 'Path'
    }

    It 'passes the backup file as a full path with --out' {
        $file = Join-Path $TestDrive 'ams.amsbak'
        $backup = Backup-AmsDatabase -Path $file -Confirm:$false
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('db', 'backup', '--out', $file)
        $call.Stdin | Should -BeExactly ''
        $backup.PSTypeNames[0] | Should -BeExactly 'Ams.DatabaseBackup'
    }

    It 'runs the scheduled job with --scheduled' {
        $null = Backup-AmsDatabase -Scheduled -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'db backup --scheduled'
    }

    It 'does not take -Out and -Scheduled together' {
        { Backup-AmsDatabase -Out (Join-Path $TestDrive 'x.amsbak') -Scheduled -Confirm:$false } | Should -Throw
        Get-AmsStubCall | Should -BeNullOrEmpty
    }

    It 'does not run ams under -WhatIf' {
        Backup-AmsDatabase -Path (Join-Path $TestDrive 'w.amsbak') -WhatIf
        Backup-AmsDatabase -Scheduled -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
