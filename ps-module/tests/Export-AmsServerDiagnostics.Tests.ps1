#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Export-AmsServerDiagnostics, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Export-AmsServerDiagnostics' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'gives ams a full path and writes nothing to the pipeline' {
        Push-Location -LiteralPath $TestDrive
        try {
            $output = Export-AmsServerDiagnostics -File 'support.zip'
        }
        finally {
            Pop-Location
        }
        $output | Should -BeNullOrEmpty
        $call = Get-AmsStubCall
        $call.Argv[0..2] -join '|' | Should -BeExactly 'server-diagnostics|export|--file'
        $call.Argv[3] | Should -BeExactly ([System.IO.Path]::Combine($TestDrive, 'support.zip'))
        $call.Argv | Should -Not -Contain '--force'
    }

    It 'replaces an existing file with -Force' {
        $path = Join-Path $TestDrive 'old.zip'
        Set-Content -LiteralPath $path -Value 'old'
        Export-AmsServerDiagnostics -File $path -Force
        (Get-AmsStubCall).Argv | Should -Contain '--force'
    }

    It 'warns about parts that could not be collected' {
        Set-AmsStubResponse -Verb 'server-diagnostics export' -Response @{ stdout = @{ File = 'x.zip'; Bytes = 10; Entries = @('README.txt'); FailedParts = @('instance') } }
        Export-AmsServerDiagnostics -File (Join-Path $TestDrive 'w.zip') -WarningVariable warnings -WarningAction SilentlyContinue
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'instance'
    }

    It 'does not run ams under -WhatIf' {
        Export-AmsServerDiagnostics -File (Join-Path $TestDrive 'n.zip') -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
